//! Background tasks that run until the gateway stops: the garbage sweep ([`crate::sweeper`])
//! and the heap trimmer ([`crate::heap`]). Owns the stop signal and the wait for a task to
//! finish; must not know what the tasks do.

use std::future::Future;

use tokio::sync::watch;

/// Controls a running background task.
pub struct Handle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Handle {
    /// Asks the task to stop and waits until it has (it finishes its current step first).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Spawns the task `body` makes; the receiver it gets changes when [`Handle::stop`] is called.
pub fn spawn<F, Fut>(body: F) -> Handle
where
    F: FnOnce(watch::Receiver<bool>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (stop, stopped) = watch::channel(false);
    Handle {
        stop,
        task: tokio::spawn(body(stopped)),
    }
}
