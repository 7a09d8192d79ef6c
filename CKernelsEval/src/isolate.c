/* ck_eval_sweep_isolated: a sweep in a child process, for implementations we did not write (a
 * plug-in, a peer library). A crash cannot be survived inside the process that had it: a signal
 * handler may not resume a thread that faulted in the middle of someone else's code, and the other
 * sweep threads' state is lost with it. So the child does the whole sweep and the special values,
 * the parent waits, and when the child dies the parent reads, from memory they share, which call
 * each sweep thread was in, and repeats the calls in further children to find the input. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "ck_eval.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The call a thread of the child is in: one per thread, claimed on the thread's first call. */
typedef struct {
    _Atomic int claimed;
    pthread_t owner;
    _Atomic int active;
    size_t subject, n;
    float xs[CK_EVAL_BLOCK];
} call_slot;

/* Shared between parent and child: progress, the results, the calls in flight. */
typedef struct {
    _Atomic uint64_t done, total;
    size_t nslots;
    call_slot *slots;
} shared_header;

/* A subject as the child runs it: the original, with its call recorded in the thread's slot. */
typedef struct {
    const ck_eval_subject *inner;
    size_t index;
    shared_header *shared;
} recorder;

static call_slot *thread_slot(shared_header *sh)
{
    pthread_t self = pthread_self();
    for (size_t i = 0; i < sh->nslots; ++i)
        if (atomic_load(&sh->slots[i].claimed) && pthread_equal(sh->slots[i].owner, self))
            return &sh->slots[i];
    for (size_t i = 0; i < sh->nslots; ++i) {
        int expected = 0;
        if (atomic_compare_exchange_strong(&sh->slots[i].claimed, &expected, 1)) {
            sh->slots[i].owner = self;
            return &sh->slots[i];
        }
    }
    return NULL;
}

static void recorded_call(const float *x, float *y, size_t n, void *ctx)
{
    const recorder *r = ctx;
    call_slot *s = thread_slot(r->shared);
    if (s) {
        s->n = n < CK_EVAL_BLOCK ? n : CK_EVAL_BLOCK;
        s->subject = r->index;
        memcpy(s->xs, x, s->n * sizeof *x);
        atomic_store(&s->active, 1);
    }
    r->inner->impl(x, y, n, r->inner->ctx);
    if (s)
        atomic_store(&s->active, 0);
}

static void child_progress(uint64_t done, uint64_t total, void *ctx)
{
    shared_header *sh = ctx;
    atomic_store(&sh->total, total);
    atomic_store(&sh->done, done);
}

#define EXIT_SWEEP_FAILED 70

/* A child dies of a crash the plain way: the caller's crash handlers (a runtime's backtracer, a
 * crash reporter) belong to the caller, and would print or upload a report for every child. */
static void default_crash_handlers(void)
{
    const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; ++i)
        signal(sigs[i], SIG_DFL);
}

static void run_child(ck_func f, const ck_eval_subject *subjects, size_t count, const ck_eval_range *range,
                      shared_header *sh, ck_eval_stats *out, ck_special_result *specials)
{
    default_crash_handlers();
    recorder *rec = malloc(count * sizeof *rec);
    ck_eval_subject *wrapped = malloc(count * sizeof *wrapped);
    if (!rec || !wrapped)
        _exit(EXIT_SWEEP_FAILED);
    for (size_t j = 0; j < count; ++j) {
        rec[j] = (recorder){ &subjects[j], j, sh };
        wrapped[j] = (ck_eval_subject){ recorded_call, &rec[j] };
    }
    ck_eval_range r = *range;
    r.progress = child_progress;
    r.progress_ctx = sh;
    if (ck_eval_sweep_many(f, wrapped, count, &r, out) != 0)
        _exit(EXIT_SWEEP_FAILED);
    for (size_t j = 0; j < count; ++j)
        ck_eval_specials(f, wrapped[j].impl, wrapped[j].ctx, specials + j * CK_SPECIAL_COUNT);
    _exit(0);
}

/* Does calling s on xs[0..n) end the process? Asked of a fresh child. */
static int call_crashes(const ck_eval_subject *s, const float *xs, size_t n)
{
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        default_crash_handlers();
        float *ys = malloc((n ? n : 1) * sizeof *ys);
        if (!ys)
            _exit(0);
        s->impl(xs, ys, n, s->ctx);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {}
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Narrows the call in `slot` to the smallest run of its inputs found by halving that still crashes
 * the subject; returns 0 when the whole call does not crash again on its own. */
static int narrow(const ck_eval_subject *subjects, const call_slot *slot, ck_eval_crash *c)
{
    const ck_eval_subject *s = &subjects[slot->subject];
    const float *xs = slot->xs;
    size_t n = slot->n;
    if (!call_crashes(s, xs, n))
        return 0;
    while (n > 1) {
        size_t half = n / 2;
        if (call_crashes(s, xs, half))
            n = half;
        else if (call_crashes(s, xs + half, n - half))
            xs += half, n -= half;
        else
            break;
    }
    c->first_x = xs[0];
    c->last_x = xs[n - 1];
    c->n = n;
    c->single = n == 1;
    return 1;
}

static void describe_crash(int status, const ck_eval_subject *subjects, const shared_header *sh, ck_eval_crash *c)
{
    memset(c, 0, sizeof *c);
    if (WIFSIGNALED(status))
        c->signal = WTERMSIG(status);
    else
        c->exit_status = WEXITSTATUS(status);
    /* The calls still in flight: with several threads, each may be the one that crashed. */
    const call_slot *first_active = NULL;
    for (size_t i = 0; i < sh->nslots; ++i) {
        const call_slot *slot = &sh->slots[i];
        if (!atomic_load(&slot->claimed) || !atomic_load(&slot->active) || slot->n == 0)
            continue;
        if (!first_active)
            first_active = slot;
        if (narrow(subjects, slot, c)) {
            c->in_call = 1;
            c->subject = slot->subject;
            return;
        }
    }
    if (first_active) { /* it crashed in a call that does not crash on its own: name that call */
        c->in_call = 1;
        c->subject = first_active->subject;
        c->first_x = first_active->xs[0];
        c->last_x = first_active->xs[first_active->n - 1];
        c->n = first_active->n;
    }
}

int ck_eval_sweep_isolated(ck_func f, const ck_eval_subject *subjects, size_t count, const ck_eval_range *range,
                           ck_eval_stats *out, ck_special_result *specials, ck_eval_crash *crash)
{
    if (!subjects || count == 0 || !range || !out || !specials || !crash || range->threads < 1)
        return -1;
    /* one slot per sweep thread, and one for the calling thread (NaN patterns, special values) */
    size_t nslots = (size_t)(range->threads > 256 ? 256 : range->threads) + 1;
    size_t stats_off = sizeof(shared_header);
    size_t specials_off = stats_off + count * sizeof(ck_eval_stats);
    size_t slots_off = (specials_off + count * CK_SPECIAL_COUNT * sizeof(ck_special_result) + 63) & ~(size_t)63;
    size_t bytes = slots_off + nslots * sizeof(call_slot);
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return -1;
    shared_header *sh = mem;
    sh->nslots = nslots;
    sh->slots = (call_slot *)((char *)mem + slots_off);
    ck_eval_stats *sh_stats = (ck_eval_stats *)((char *)mem + stats_off);
    ck_special_result *sh_specials = (ck_special_result *)((char *)mem + specials_off);

    pid_t pid = fork();
    if (pid < 0) {
        munmap(mem, bytes);
        return -1;
    }
    if (pid == 0)
        run_child(f, subjects, count, range, sh, sh_stats, sh_specials);

    int status;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0) { /* cannot happen for our own child; stop it rather than wait blind */
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        if (range->progress && atomic_load(&sh->total))
            range->progress(atomic_load(&sh->done), atomic_load(&sh->total), range->progress_ctx);
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
    }
    int rc;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        memcpy(out, sh_stats, count * sizeof *out);
        memcpy(specials, sh_specials, count * CK_SPECIAL_COUNT * sizeof *specials);
        if (range->progress)
            range->progress(atomic_load(&sh->total), atomic_load(&sh->total), range->progress_ctx);
        rc = 0;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SWEEP_FAILED) {
        rc = -1;
    } else {
        describe_crash(status, subjects, sh, crash);
        rc = 1;
    }
    munmap(mem, bytes);
    return rc;
}
