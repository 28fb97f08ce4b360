import java.util.List;
import org.gdfo.Gdfo;
import org.gdfo.GdfoException;
import org.gdfo.Graph;
import org.gdfo.Plan;
import org.gdfo.Rules;

/**
 * Optimizes the retail ETL pipeline with libgdfo's rule-based optimizer.
 * From the project root, after `make jvm`:
 *
 *   javac -cp build/jvm/gdfo.jar -d build/examples examples/java/OptimizeRetail.java
 *   java -Djava.library.path=build -cp build/jvm/gdfo.jar:build/examples OptimizeRetail
 */
public final class OptimizeRetail {
    public static void main(String[] args) {
        String pipeline = args.length > 0 ? args[0] : "examples/pipelines/retail_etl.json";
        try (Graph graph = Graph.load(pipeline)) {
            System.out.printf("libgdfo %s: pipeline '%s', %d stages, fingerprint %016x%n",
                    Gdfo.versionString(), graph.name(), graph.stageCount(), graph.fingerprint());
            Rules.Options options = new Rules.Options().broadcastMaxBytes(10L << 20);
            try (Plan plan = Rules.optimize(graph, null, options)) {
                List<Plan.Change> changes = plan.changes();
                System.out.printf("plan by %s: %d changes, risk %s%n", plan.source(), changes.size(), plan.risk());
                int i = 1;
                for (Plan.Change c : changes) {
                    System.out.printf("%2d. [%s] %s%n      why: %s (expected gain %.1f %%)%n",
                            i++, c.kind(), c.what(), c.why(), 100 * c.expectedGain());
                }
                try (Graph rewritten = plan.graph()) {
                    System.out.printf("rewritten pipeline: %d stages%n", rewritten.stageCount());
                }
                if (args.length > 1) {
                    plan.save(args[1]);
                    System.out.println("plan written to " + args[1]);
                }
            }
        } catch (GdfoException e) {
            System.err.println("OptimizeRetail: " + e.getMessage() + " (" + e.statusName() + ")");
            System.exit(2);
        }
    }
}
