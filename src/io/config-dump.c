/*
 * src/io/config-dump.c — config tree -> YAML through libyaml's emitter.
 *
 * libyaml picks a style that reads back as the same text; what this file
 * adds is the type: a string whose plain form would read as another type
 * ("3", "true", "null") is written quoted, and a scalar whose text does not
 * say its type on its own (!!float 3) keeps its tag. So a dump read back
 * is lit_config_node_equal to the tree (the --print_config round trip).
 */
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "io/config-impl.h"

static int standard_tag(const char *tag) {
    return !strncmp(tag, "tag:yaml.org,2002:", 18) || !strcmp(tag, "!");
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev) { return yaml_emitter_emit(e, ev); }

static int emit_scalar(yaml_emitter_t *e, const char *text, const char *tag, int plain_ok, int quoted_ok) {
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)text, (int)strlen(text),
                                      plain_ok, quoted_ok, YAML_ANY_SCALAR_STYLE))
        return 0;
    return emit(e, &ev);
}

static int emit_node(yaml_emitter_t *e, const lit_config_node *n) {
    yaml_event_t ev;
    const char *app_tag = n->tag && !standard_tag(n->tag) ? n->tag : NULL;
    switch (n->type) {
    case LIT_CONFIG_MAP:
        if (!yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *)app_tag, app_tag == NULL,
                                                 YAML_BLOCK_MAPPING_STYLE) ||
            !emit(e, &ev))
            return 0;
        for (int i = 0; i < n->n; i++) {
            /* Keys are always strings in the tree: any style reads back as the same key. */
            if (!emit_scalar(e, n->entries[i].key, NULL, 1, 1) || !emit_node(e, n->entries[i].value)) return 0;
        }
        return yaml_mapping_end_event_initialize(&ev) && emit(e, &ev);
    case LIT_CONFIG_LIST:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)app_tag, app_tag == NULL,
                                                  YAML_BLOCK_SEQUENCE_STYLE) ||
            !emit(e, &ev))
            return 0;
        for (int i = 0; i < n->n; i++)
            if (!emit_node(e, n->items[i])) return 0;
        return yaml_sequence_end_event_initialize(&ev) && emit(e, &ev);
    case LIT_CONFIG_NULL:
        /* "" would be emitted as ''; write the canonical word. */
        return emit_scalar(e, n->text && n->text[0] ? n->text : "null", app_tag, app_tag == NULL, 0);
    case LIT_CONFIG_STRING:
        if (app_tag) return emit_scalar(e, n->text, app_tag, 0, 0);
        /* Plain only when plain text reads back as a string; else libyaml quotes. */
        return emit_scalar(e, n->text, NULL, lit__config_plain_type(n->text) == LIT_CONFIG_STRING, 1);
    default: {
        int plain = lit__config_plain_type(n->text) == n->type;
        if (plain && !app_tag) return emit_scalar(e, n->text, NULL, 1, 0);
        static const char *const tags[] = { [LIT_CONFIG_BOOL] = "tag:yaml.org,2002:bool",
                                            [LIT_CONFIG_INT] = "tag:yaml.org,2002:int",
                                            [LIT_CONFIG_FLOAT] = "tag:yaml.org,2002:float" };
        return emit_scalar(e, n->text, app_tag ? app_tag : tags[n->type], 0, 0);
    }
    }
}

lit_status lit_config_dump_node(const lit_config_node *n, FILE *f) {
    yaml_emitter_t e;
    if (!yaml_emitter_initialize(&e)) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    yaml_emitter_set_output_file(&e, f);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1); /* no folding of long scalars */
    yaml_emitter_set_indent(&e, 2);
    yaml_event_t ev;
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && emit(&e, &ev) &&
             yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && emit(&e, &ev) && emit_node(&e, n) &&
             yaml_document_end_event_initialize(&ev, 1) && emit(&e, &ev) && yaml_stream_end_event_initialize(&ev) &&
             emit(&e, &ev) && yaml_emitter_flush(&e);
    lit_status st = LIT_OK;
    if (!ok) {
        st = e.error == YAML_WRITER_ERROR || ferror(f) ? lit_set_error(LIT_ERR_IO, "config dump: write error")
             : e.error == YAML_MEMORY_ERROR          ? lit_set_error(LIT_ERR_NOMEM, "config dump: out of memory")
                                                      : lit_set_error(LIT_ERR_CONFIG, "config dump: %s",
                                                                      e.problem ? e.problem : "emitter error");
    }
    yaml_emitter_delete(&e);
    return st;
}

lit_status lit_config_dump(const lit_config *cfg, FILE *f) { return lit_config_dump_node(cfg->root, f); }
