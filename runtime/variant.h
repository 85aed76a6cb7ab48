#ifndef RNNRT_VARIANT_H
#define RNNRT_VARIANT_H

typedef enum rnnrt_variant_id {
    RNNRT_VARIANT_REFERENCE,
    RNNRT_VARIANT_BLOCKED,
} rnnrt_variant_id;

/* The forward variant in force: RNNRT_VARIANT at startup, then rnnrt_set_variant(). */
rnnrt_variant_id rnnrt_active_variant(void);

#endif
