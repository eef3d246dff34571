//! The runner as the async operator drives it: the run on tokio's blocking pool
//! (`spawn_blocking`, which also takes the run's file I/O off the async workers), the stop
//! given from an ordinary async task during a graceful shutdown.

use std::time::Duration;

use hooks::runner::{ProcessRequest, StopSignal, run_process};

#[tokio::test(flavor = "current_thread")]
async fn a_run_on_the_blocking_pool_is_stopped_from_an_async_task() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    let stop = StopSignal::new().unwrap();
    let request = ProcessRequest {
        hook: "long".into(),
        binding: "b".into(),
        program: "/bin/sh".into(),
        args: vec![
            "-c".into(),
            format!("touch {}; sleep 300", started.display()),
        ],
        working_dir: std::env::temp_dir(),
        env: Vec::new(),
        timeout: None,
        stop: Some(stop.clone()),
    };
    let run = tokio::task::spawn_blocking(move || run_process(&request));
    while !started.exists() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The async side never blocks: stop() writes one byte to a pipe.
    stop.stop(Duration::from_secs(600));
    let result = run.await.unwrap().unwrap();
    assert!(result.stopped && !result.success(), "{result:?}");
    assert_eq!(result.signal, Some(libc::SIGTERM));
}
