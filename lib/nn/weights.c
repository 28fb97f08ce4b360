/*
 * The encoder's weights file (docs/encoder.md, "Weights file"). Every
 * integer is little-endian; floats are IEEE-754 binary32, little-endian.
 *
 *   magic "GDFO-NN\0" (8 bytes), u32 format version (1), u32 data offset
 *   config: u32 n_features, d_model, n_layers, n_heads, n_relations,
 *           sparse_threshold, sparse_hops, n_stage_heads,
 *           stage_head_widths[8], n_pipeline_heads, pipeline_head_widths[8];
 *           u64 seed
 *   u32 n_tensors, then per tensor: u32 name length, name bytes,
 *           u32 rows, u32 cols, u64 byte offset of its data
 *   zero padding to the data offset (a multiple of 64)
 *   tensor data in table order
 *   u32 CRC32 (zlib) of every byte before it
 */
#include <math.h>
#include <string.h>
#include <zlib.h>

#include "nn/nn_internal.h"

#define MAGIC "GDFO-NN"
#define FORMAT_VERSION 1u
#define MAX_FILE ((size_t)4 << 30)

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

#define CONFIG_U32 25

static void config_words(uint32_t w[CONFIG_U32], const gdfo_nn_options *o)
{
	int i;

	w[0] = o->n_features;
	w[1] = o->d_model;
	w[2] = o->n_layers;
	w[3] = o->n_heads;
	w[4] = GDFO_NN_RELATIONS;
	w[5] = o->sparse_threshold;
	w[6] = o->sparse_hops;
	w[7] = o->n_stage_heads;
	for (i = 0; i < GDFO_NN_MAX_HEADS; i++)
		w[8 + i] = i < (int)o->n_stage_heads ? o->stage_head_widths[i] : 0;
	w[16] = o->n_pipeline_heads;
	for (i = 0; i < GDFO_NN_MAX_HEADS; i++)
		w[17 + i] = i < (int)o->n_pipeline_heads ? o->pipeline_head_widths[i] : 0;
}

static const char *const config_names[CONFIG_U32] = {
	"n_features", "d_model", "n_layers", "n_heads", "n_relations", "sparse_threshold",
	"sparse_hops", "n_stage_heads", "stage_head_widths[0]", "stage_head_widths[1]",
	"stage_head_widths[2]", "stage_head_widths[3]", "stage_head_widths[4]",
	"stage_head_widths[5]", "stage_head_widths[6]", "stage_head_widths[7]",
	"n_pipeline_heads", "pipeline_head_widths[0]", "pipeline_head_widths[1]",
	"pipeline_head_widths[2]", "pipeline_head_widths[3]", "pipeline_head_widths[4]",
	"pipeline_head_widths[5]", "pipeline_head_widths[6]", "pipeline_head_widths[7]"
};

int gdfo_nn_save(const gdfo_nn_encoder *enc, const char *path)
{
	uint32_t w[CONFIG_U32];
	size_t head = 16 + 4 * CONFIG_U32 + 8 + 4, data_off, total, i, j, at;
	unsigned char *buf;
	int rc;

	if (!enc || !path)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_save: NULL argument");
	for (i = 0; i < enc->n_views; i++)
		head += 4 + strlen(enc->views[i].name) + 4 + 4 + 8;
	data_off = (head + 63) & ~(size_t)63;
	total = data_off + 4 * gdfo_nn_param_count(enc) + 4;
	buf = gdfo__calloc(1, total);
	if (!buf)
		return GDFO_ENOMEM;
	memcpy(buf, MAGIC, 8);
	put_u32(buf + 8, FORMAT_VERSION);
	put_u32(buf + 12, (uint32_t)data_off);
	config_words(w, &enc->opts);
	for (i = 0; i < CONFIG_U32; i++)
		put_u32(buf + 16 + 4 * i, w[i]);
	at = 16 + 4 * CONFIG_U32;
	put_u64(buf + at, enc->opts.seed);
	at += 8;
	put_u32(buf + at, (uint32_t)enc->n_views);
	at += 4;
	{
		size_t doff = data_off;
		for (i = 0; i < enc->n_views; i++) {
			const gdfo__nn_view *v = &enc->views[i];
			size_t n = strlen(v->name);
			put_u32(buf + at, (uint32_t)n);
			memcpy(buf + at + 4, v->name, n);
			at += 4 + n;
			put_u32(buf + at, (uint32_t)v->rows);
			put_u32(buf + at + 4, (uint32_t)v->cols);
			put_u64(buf + at + 8, doff);
			at += 16;
			for (j = 0; j < v->rows * v->cols; j++) {
				uint32_t bits;
				memcpy(&bits, enc->params + v->offset + j, 4);
				put_u32(buf + doff + 4 * j, bits);
			}
			doff += 4 * v->rows * v->cols;
		}
	}
	put_u32(buf + total - 4, (uint32_t)crc32(0L, buf, (uInt)(total - 4)));
	rc = gdfo__file_write_atomic(path, buf, total);
	free(buf);
	return rc;
}

/* Checks the header and checksum; fills the options the file describes. */
static int parse_header(gdfo_nn_options *o, size_t *table_at, const unsigned char *buf,
			size_t len, const char *path)
{
	uint32_t w[CONFIG_U32], version, crc_file, crc;
	size_t i;

	if (len < 16 || memcmp(buf, MAGIC, 8) != 0)
		return gdfo__error(GDFO_EFORMAT, "'%s' is not a gdfo encoder weights file (bad magic)",
				   path);
	version = get_u32(buf + 8);
	if (version != FORMAT_VERSION)
		return gdfo__error(GDFO_EVERSION,
				   "'%s': weights format version %u is not supported (this library reads %u)",
				   path, version, FORMAT_VERSION);
	if (len < 16 + 4 * CONFIG_U32 + 12 + 4)
		return gdfo__error(GDFO_EFORMAT, "'%s' is truncated (%zu bytes)", path, len);
	crc_file = get_u32(buf + len - 4);
	crc = (uint32_t)crc32(0L, buf, (uInt)(len - 4));
	if (crc != crc_file)
		return gdfo__error(GDFO_ECHECKSUM,
				   "'%s': checksum mismatch (stored %08x, computed %08x); the file is damaged",
				   path, crc_file, crc);
	for (i = 0; i < CONFIG_U32; i++)
		w[i] = get_u32(buf + 16 + 4 * i);
	if (w[4] != GDFO_NN_RELATIONS)
		return gdfo__error(GDFO_EFORMAT, "'%s': %u relation buckets, this library has %d",
				   path, w[4], GDFO_NN_RELATIONS);
	gdfo_nn_options_init(o, GDFO_NN_OPTIONS_VERSION);
	o->n_features = w[0];
	o->d_model = w[1];
	o->n_layers = w[2];
	o->n_heads = w[3];
	o->sparse_threshold = w[5];
	o->sparse_hops = w[6];
	o->n_stage_heads = w[7];
	o->n_pipeline_heads = w[16];
	for (i = 0; i < GDFO_NN_MAX_HEADS; i++) {
		o->stage_head_widths[i] = w[8 + i];
		o->pipeline_head_widths[i] = w[17 + i];
	}
	o->seed = get_u64(buf + 16 + 4 * CONFIG_U32);
	*table_at = 16 + 4 * CONFIG_U32 + 8;
	return 0;
}

/* Reads the tensor table and data into params (n_params floats, enc's layout). */
static int parse_tensors(float *params, const gdfo_nn_encoder *enc, const unsigned char *buf,
			 size_t len, size_t at, const char *path)
{
	uint32_t n = get_u32(buf + at);
	size_t i, j, end = len - 4;

	at += 4;
	if (n != enc->n_views)
		return gdfo__error(GDFO_EFORMAT, "'%s' holds %u tensors, the configuration needs %zu",
				   path, n, enc->n_views);
	for (i = 0; i < n; i++) {
		const gdfo__nn_view *v = &enc->views[i];
		uint32_t nl, rows, cols;
		uint64_t off;
		if (at + 4 > end)
			return gdfo__error(GDFO_EFORMAT, "'%s': tensor table is truncated at entry %zu",
					   path, i);
		nl = get_u32(buf + at);
		if (nl > end - at - 4 || end - at - 4 - nl < 16)
			return gdfo__error(GDFO_EFORMAT, "'%s': tensor table is truncated at entry %zu",
					   path, i);
		if (nl != strlen(v->name) || memcmp(buf + at + 4, v->name, nl) != 0)
			return gdfo__error(GDFO_EFORMAT, "'%s': tensor %zu is '%.*s', expected '%s'", path,
					   i, (int)(nl < 64 ? nl : 64), (const char *)buf + at + 4, v->name);
		at += 4 + nl;
		rows = get_u32(buf + at);
		cols = get_u32(buf + at + 4);
		off = get_u64(buf + at + 8);
		at += 16;
		if (rows != v->rows || cols != v->cols)
			return gdfo__error(GDFO_EFORMAT, "'%s': tensor '%s' is %ux%u, expected %zux%zu",
					   path, v->name, rows, cols, v->rows, v->cols);
		if (off > end || (end - off) / 4 < (uint64_t)rows * cols)
			return gdfo__error(GDFO_EFORMAT, "'%s': data of tensor '%s' lies outside the file",
					   path, v->name);
		for (j = 0; j < (size_t)rows * cols; j++) {
			uint32_t bits = get_u32(buf + off + 4 * j);
			float f;
			memcpy(&f, &bits, 4);
			if (!isfinite(f))
				return gdfo__error(GDFO_EFORMAT, "'%s': tensor '%s' element %zu is not finite",
						   path, v->name, j);
			params[v->offset + j] = f;
		}
	}
	return 0;
}

int gdfo_nn_load_into(gdfo_nn_encoder *enc, const char *path)
{
	char *buf = NULL;
	size_t len, at, i;
	gdfo_nn_options o;
	uint32_t a[CONFIG_U32], b[CONFIG_U32];
	float *tmp;
	int rc;

	if (!enc || !path)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_load_into: NULL argument");
	if ((rc = gdfo__file_read(&buf, &len, path, MAX_FILE)) < 0)
		return rc;
	if ((rc = parse_header(&o, &at, (unsigned char *)buf, len, path)) < 0)
		goto out;
	config_words(a, &o);
	config_words(b, &enc->opts);
	for (i = 0; i < CONFIG_U32; i++) {
		if (i == 5 || i == 6) /* sparse settings are not architecture */
			continue;
		if (a[i] != b[i]) {
			rc = gdfo__error(GDFO_ERANGE, "'%s': %s is %u in the file but %u in the encoder",
					 path, config_names[i], a[i], b[i]);
			goto out;
		}
	}
	tmp = gdfo__calloc(enc->n_params, sizeof(float));
	if (!tmp) {
		rc = GDFO_ENOMEM;
		goto out;
	}
	rc = parse_tensors(tmp, enc, (unsigned char *)buf, len, at, path);
	if (rc == 0) {
		memcpy(enc->params, tmp, enc->n_params * sizeof(float));
		free(enc->m);
		free(enc->v);
		enc->m = enc->v = NULL;
		enc->steps = 0;
		if (enc->grads)
			memset(enc->grads, 0, enc->n_params * sizeof(float));
	}
	free(tmp);
out:
	free(buf);
	return rc;
}

/*
 * The fewest bytes a file with configuration o can have: header, a table
 * entry of at least 17 bytes per tensor, the tensors' floats (the shapes
 * of gdfo__nn_layout), the CRC. Checked before the encoder is allocated,
 * so that a small file cannot claim gigabytes.
 */
static uint64_t min_file_bytes(const gdfo_nn_options *o)
{
	uint64_t C = o->d_model, L = o->n_layers, ws = 0, wp = 0, floats, tensors = 5 + 13 * L;
	uint32_t i;

	for (i = 0; i < o->n_stage_heads; i++)
		ws += o->stage_head_widths[i];
	for (i = 0; i < o->n_pipeline_heads; i++)
		wp += o->pipeline_head_widths[i];
	floats = (uint64_t)o->n_features * C + 4 * C +
		 L * (12 * C * C + 13 * C + (uint64_t)o->n_heads * GDFO_NN_RELATIONS);
	if (ws) {
		floats += C * ws + ws;
		tensors += 2;
	}
	if (wp) {
		floats += 2 * C * wp + wp;
		tensors += 2;
	}
	return 16 + 4 * CONFIG_U32 + 12 + 17 * tensors + 4 * floats + 4;
}

int gdfo_nn_load(gdfo_nn_encoder **out, const char *path)
{
	char *buf = NULL;
	size_t len, at;
	gdfo_nn_options o;
	gdfo_nn_encoder *enc = NULL;
	int rc;

	if (!out)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_load: out is NULL");
	*out = NULL;
	if (!path)
		return gdfo__error(GDFO_EINVAL, "gdfo_nn_load: path is NULL");
	if ((rc = gdfo__file_read(&buf, &len, path, MAX_FILE)) < 0)
		return rc;
	if ((rc = parse_header(&o, &at, (unsigned char *)buf, len, path)) < 0)
		goto out;
	if ((rc = gdfo__nn_check_options(&o)) < 0) {
		rc = gdfo__error_prefix(GDFO_EFORMAT, "'%s'", path);
		goto out;
	}
	if (min_file_bytes(&o) > len) {
		rc = gdfo__error(GDFO_EFORMAT,
				 "'%s' is %zu bytes, too small for the configuration it claims (d_model %u, %u layers: at least %llu bytes)",
				 path, len, o.d_model, o.n_layers, (unsigned long long)min_file_bytes(&o));
		goto out;
	}
	if ((rc = gdfo_nn_create(&enc, &o)) < 0)
		goto out;
	if ((rc = parse_tensors(enc->params, enc, (unsigned char *)buf, len, at, path)) < 0) {
		gdfo_nn_free(enc);
		goto out;
	}
	*out = enc;
out:
	free(buf);
	return rc;
}
