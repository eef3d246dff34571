//! Threads per hook run, counted from inside the run. Alone in its test binary so no other
//! test starts threads meanwhile.

use std::time::Duration;

use hooks::runner::{ProcessRequest, StopSignal, run_process};

fn threads_of_this_process() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

/// Whether this kernel has pidfd_open(2), which lets the runner wait for the exit with no
/// thread; without it one waiter thread watches the exit.
fn kernel_has_pidfd() -> bool {
    // SAFETY: pidfd_open on our own pid; the descriptor is closed right away.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, libc::getpid(), 0) };
    if fd < 0 {
        return false;
    }
    // SAFETY: the descriptor was just returned to us.
    unsafe { libc::close(fd as libc::c_int) };
    true
}

#[test]
fn a_run_uses_no_thread_besides_the_callers() {
    let before = threads_of_this_process();
    // The hook counts the tasks of its parent (this process) while it runs, with a timeout,
    // a stop signal and output on both streams: everything that used to cost a thread.
    let stop = StopSignal::new().unwrap();
    let result = run_process(&ProcessRequest {
        hook: "count".into(),
        binding: "b".into(),
        program: "/bin/sh".into(),
        args: vec![
            "-c".into(),
            "echo err >&2; ls /proc/$PPID/task | wc -l".into(),
        ],
        working_dir: std::env::temp_dir(),
        env: Vec::new(),
        timeout: Some(Duration::from_secs(600)),
        stop: Some(stop),
    })
    .unwrap();
    assert!(result.success(), "{result:?}");
    let during: usize = result.stdout.trim().parse().unwrap();
    let expected = if kernel_has_pidfd() { 0 } else { 1 };
    assert_eq!(
        during,
        before + expected,
        "threads before the run: {before}"
    );
}
