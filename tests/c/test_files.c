/*
 * Atomic saves: permissions, symlinks, temporary files (lib/core/atomic.c).
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/internal.h"
#include "gdfo/gdfo.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gdfo-test-files-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *get(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static unsigned mode_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Files in dir whose name contains s. */
static int count_files(const char *s)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += strstr(e->d_name, s) != NULL;
	closedir(d);
	return n;
}

START_TEST(a_save_keeps_the_permissions_of_the_file_it_replaces)
{
	static const unsigned modes[] = {0600, 0640, 0604, 0755};
	char path[128];
	gdfo_graph *g;

	snprintf(path, sizeof(path), "%s/p.json", dir);
	put(path, "old");
	ck_assert_int_eq(chmod(path, modes[_i]), 0);
	ck_assert_int_eq(gdfo_graph_load(&g, "examples/pipelines/retail_etl.json"), 0);
	ck_assert_int_eq(gdfo_graph_save(g, path), 0);
	gdfo_graph_free(g);
	ck_assert_uint_eq(mode_of(path), modes[_i]);
	ck_assert_int_eq(count_files(".gdfo-tmp."), 0);
}
END_TEST

START_TEST(a_new_file_gets_the_umask)
{
	static const unsigned masks[] = {022, 077, 027, 0};
	char path[128];
	mode_t old = umask(masks[_i]);

	snprintf(path, sizeof(path), "%s/new.json", dir);
	ck_assert_int_eq(gdfo__file_write_atomic(path, "x", 1), 0);
	umask(old);
	ck_assert_uint_eq(mode_of(path), 0666 & ~masks[_i]);
}
END_TEST

START_TEST(a_save_writes_through_a_symlink)
{
	char target[128], link[128], rel[128];
	struct stat st;

	snprintf(target, sizeof(target), "%s/real.json", dir);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	put(target, "old");
	ck_assert_int_eq(chmod(target, 0600), 0);
	ck_assert_int_eq(symlink("real.json", link), 0); /* relative, as people make them */
	ck_assert_int_eq(gdfo__file_write_atomic(link, "new", 3), 0);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_str_eq(get(target), "new");
	ck_assert_uint_eq(mode_of(target), 0600);
	/* a dangling link is refused and left alone */
	snprintf(rel, sizeof(rel), "%s/dangling.json", dir);
	ck_assert_int_eq(symlink("nowhere/x.json", rel), 0);
	ck_assert_int_eq(gdfo__file_write_atomic(rel, "new", 3), GDFO_EIO);
	ck_assert_ptr_nonnull(strstr(gdfo_last_error(), "symlink"));
	ck_assert_int_eq(lstat(rel, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(stale_temporary_files_of_the_target_are_removed)
{
	char path[128], dead[160], live[160], other[160];
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0); /* child's pid is now free */
	snprintf(path, sizeof(path), "%s/plan.json", dir);
	snprintf(dead, sizeof(dead), "%s.gdfo-tmp.%ld.7", path, (long)child);
	snprintf(live, sizeof(live), "%s.gdfo-tmp.%ld.3", path, (long)getppid());
	snprintf(other, sizeof(other), "%s/other.json.gdfo-tmp.%ld.1", dir, (long)child);
	put(dead, "partial");
	put(live, "being written");
	put(other, "another target's");
	ck_assert_int_eq(gdfo__file_write_atomic(path, "plan", 4), 0);
	ck_assert_int_eq(access(dead, F_OK), -1);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0);
	ck_assert_str_eq(get(path), "plan");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("atomic");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, a_save_keeps_the_permissions_of_the_file_it_replaces, 0, 4);
	tcase_add_loop_test(tc, a_new_file_gets_the_umask, 0, 4);
	tcase_add_test(tc, a_save_writes_through_a_symlink);
	tcase_add_test(tc, stale_temporary_files_of_the_target_are_removed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
