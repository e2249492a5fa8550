/* Unit tests: the stacks image turns synthetic procfs samples and ptrace
 * user stacks into folded stacks (state markers, kernel annotation, wchan
 * fallback, the restart_syscall prefix, filters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "images/stacks.h"
#include "procimage/image.h"
#include "unit_records.h"

static const char *nsleep = "[<0>] hrtimer_nanosleep+0x74/0xf0\n"
			    "[<0>] do_syscall_64+0x71/0x280\n"
			    "[<0>] entry_SYSCALL_64_after_hwframe+0x76/0x7e\n";
static const char *restarted = "[<0>] do_syscall_64+0x71/0x280\n"
			       "[<0>] entry_SYSCALL_64_after_hwframe+0x76/0x7e\n";
static const char *preempted = "[<0>] irqentry_exit_to_user_mode+0x110/0x1a0\n"
			       "[<0>] asm_sysvec_apic_timer_interrupt+0x16/0x20\n";

static void sample(const struct image_ops *ops, void *img, int tid, char state, const char *stack,
		   const char *wchan)
{
	struct record r = unit_sample(SCOPE_THREAD, 0, (struct task_key){100, tid, 7},
				      tid == 100 ? "app" : "worker",
				      PF_STAT | (stack ? PF_STACK : 0) | (wchan ? PF_WCHAN : 0));

	r.u.sample.s.state = state;
	if (wchan)
		snprintf(r.u.sample.s.wchan, sizeof(r.u.sample.s.wchan), "%s", wchan);
	r.text = stack;
	r.text_len = stack ? (uint32_t)strlen(stack) : 0;
	ops->consume(img, &r);
}

static void user(const struct image_ops *ops, void *img, int tid, int oncpu, const char *frames)
{
	struct record r = unit_record(REC_STACK, SRC_PTRACE, 0, (struct task_key){100, tid, 7},
				      tid == 100 ? "app" : "worker");

	r.text = frames;
	r.text_len = (uint32_t)strlen(frames);
	r.u.stack.oncpu = (uint8_t)oncpu;
	r.u.stack.count = 1;
	ops->consume(img, &r);
}

static void tick(const struct image_ops *ops, void *img)
{
	unit_tick(ops, img, 0);
}

static void test_compose(void **state)
{
	(void)state;
	const struct image_ops *ops = image_find("stacks");
	struct image_params p = {.interval_ns = 20408163};
	void *img = ops->create(&p);
	const struct stack_agg *a = stacks_image_agg(img);

	assert_non_null(ops);
	/* a sleeper, then the same call seen after a ptrace-caused restart */
	sample(ops, img, 101, 'S', nsleep, NULL);
	user(ops, img, 101, 0, "start_thread;work;nanosleep");
	sample(ops, img, 100, 'R', preempted, NULL);
	user(ops, img, 100, 1, "main;hot");
	tick(ops, img);
	sample(ops, img, 101, 'S', restarted, NULL);
	user(ops, img, 101, 0, "start_thread;work;nanosleep");
	sample(ops, img, 100, 'R', "", NULL); /* no user stack: kernel only */
	tick(ops, img);
	/* wchan only (no CAP_SYS_ADMIN) */
	sample(ops, img, 101, 'D', NULL, "io_schedule");
	tick(ops, img);

	const char *sl =
	    "worker;[off-cpu];start_thread;work;nanosleep;entry_SYSCALL_64_after_hwframe_[k];"
	    "do_syscall_64_[k];hrtimer_nanosleep_[k]";
	assert_int_equal(stack_agg_get(a, sl), 2);
	assert_int_equal(stack_agg_get(a, "app;[on-cpu];main;hot"), 1);
	assert_int_equal(stack_agg_get(a, "app;[on-cpu]"), 1);
	assert_int_equal(stack_agg_get(a, "worker;[off-cpu];io_schedule_[k]"), 1);
	struct stacks_summary s;
	stacks_image_summary(img, &s);
	assert_int_equal(s.samples, 5);
	assert_int_equal(s.oncpu, 2);
	assert_int_equal(s.offcpu, 3);
	assert_int_equal(s.kernel_from_wchan, 1);
	assert_int_equal(s.threads, 2);
	ops->destroy(img);
}

static void test_filters(void **state)
{
	(void)state;
	const struct image_ops *ops = image_find("stacks");
	struct image_params p = {.interval_ns = 10000000};
	void *img = ops->create(&p);
	const struct stack_agg *a = stacks_image_agg(img);

	/* on-CPU only, user only, one root per thread */
	stacks_image_configure(img, STACKS_USER | STACKS_ONCPU | STACKS_THREADS, 100);
	sample(ops, img, 101, 'S', nsleep, NULL);
	user(ops, img, 101, 0, "start_thread;work;nanosleep");
	sample(ops, img, 100, 'R', NULL, NULL);
	user(ops, img, 100, 1, "main;hot");
	tick(ops, img);
	assert_int_equal(stack_agg_total(a), 1);
	assert_int_equal(stack_agg_get(a, "app-100/100;main;hot"), 1);
	struct stacks_summary s;
	stacks_image_summary(img, &s);
	assert_int_equal(s.hz, 100);
	ops->destroy(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compose),
	    cmocka_unit_test(test_filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
