/* The one-or-several thread choice (runtime/thread_choice.c) played on a simulated clock:
 * each call's duration is chosen by the test from the choice it was given, so the rules
 * (settling, bursts, back-off, following the load) are checked without timing anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "thread_choice.h"

#define MS 1000000ll
enum { KEY = 32, ROW_STEPS = 25 * 32 };

typedef struct sim {
    rnnrt_choice c;
    long long now;
    int calls, several, trials;
} sim;

/* One call lasting `one_ms` on one thread or `several_ms` on several; returns whether it
 * ran on several. */
static bool call(sim *s, double one_ms, double several_ms)
{
    rnnrt_choice_ticket t = rnnrt_choice_begin_at(&s->c, KEY, s->now);
    s->now += (long long)((t.several ? several_ms : one_ms) * MS);
    rnnrt_choice_end_at(&t, ROW_STEPS, s->now);
    s->calls++;
    s->several += t.several;
    s->trials += t.trial;
    return t.several;
}

static void new_sim(sim *s)
{
    memset(s, 0, sizeof *s);
    s->now = 1000 * MS;
}

/* A new shape whose calls take `one_ms` on one thread and `several_ms` on several (5 ms or
 * more: a trial each), past its settling trials. */
static void settled_sim(sim *s, double one_ms, double several_ms)
{
    new_sim(s);
    for (int i = 0; i < 2 * RNNRT_CHOICE_SETTLE; i++)
        call(s, one_ms, several_ms);
}

/* A new shape's first trial on several threads met a preemption (60 ms where 30 is usual,
 * slower than one thread's 50): the choice must still settle on several threads within the
 * settling trials, not after a back-off of 32 trial lengths. */
static void test_unlucky_first_trial_does_not_settle(void **state)
{
    (void)state;
    sim s;
    new_sim(&s);
    assert_true(call(&s, 50, 60)); /* first: several, slow */
    assert_false(call(&s, 50, 30)); /* then one thread */
    assert_true(call(&s, 50, 30)); /* several again at once: the settling trial */
    assert_false(call(&s, 50, 30)); /* one thread's second trial */
    assert_int_equal(s.trials, 4);
    int on_one = 0;
    for (int i = 0; i < 40; i++) /* 1.2 s: well inside the back-off of 32 x 50 ms */
        on_one += !call(&s, 50, 30);
    assert_int_equal(on_one, 0);
}

/* Settled on the faster choice, the other is still tried now and then (a load can change),
 * but rarely: the trials' share of the time stays near 1/32 of what they cost. */
static void test_losing_trials_back_off(void **state)
{
    (void)state;
    sim s;
    settled_sim(&s, 50, 30);
    int start_calls = s.calls, start_several = s.several;
    long long start = s.now;
    while (s.now - start < 60000 * MS)
        call(&s, 50, 30);
    int calls = s.calls - start_calls, on_one = calls - (s.several - start_several);
    /* 60 s of calls: a one-thread trial at most every 32 x 50 ms = 1.6 s (about 37). Each
     * costs 20 ms over a several-thread call: under 2% of the time. At least one every 6 s,
     * so that a change of load is seen. */
    assert_true(on_one >= 10);
    assert_true(on_one * 20.0 < 0.02 * 60000);
}

/* Another process takes a core: the several-thread calls slow to 120 ms. The choice follows
 * the measured calls in use and moves to one thread within a few calls. */
static void test_follows_a_change_of_load(void **state)
{
    (void)state;
    sim s;
    settled_sim(&s, 50, 30);
    for (int k = 0; k < 6; k++) /* and a while on several threads */
        call(&s, 50, 30);
    int i = 0;
    while (call(&s, 50, 120))
        assert_true(++i < 10);
    int on_several = 0;
    for (int k = 0; k < 20; k++)
        on_several += call(&s, 50, 120);
    assert_true(on_several <= 1);
}

/* Short calls: a trial is a burst of 3 scored by its fastest, so one preempted call of the
 * burst (4 ms, a time slice, where 0.3 is usual) does not lose it. */
static void test_burst_forgives_one_slow_call(void **state)
{
    (void)state;
    sim s;
    new_sim(&s);
    /* every trial burst on several threads has its first call preempted */
    for (int n = 0; n < 5000; n++) {
        rnnrt_choice_ticket t = rnnrt_choice_begin_at(&s.c, KEY, s.now);
        bool first_of_burst = t.trial && t.slot->trial_left == 3;
        double ms = t.several ? (first_of_burst ? 4.0 : 0.3) : 0.5;
        s.now += (long long)(ms * MS);
        rnnrt_choice_end_at(&t, ROW_STEPS, s.now);
    }
    int on_several = 0;
    for (int k = 0; k < 100; k++)
        on_several += call(&s, 0.5, 0.3);
    assert_true(on_several >= 97);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unlucky_first_trial_does_not_settle),
        cmocka_unit_test(test_losing_trials_back_off),
        cmocka_unit_test(test_follows_a_change_of_load),
        cmocka_unit_test(test_burst_forgives_one_slow_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
