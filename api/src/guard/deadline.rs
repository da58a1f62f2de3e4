//! A request body that must arrive within a deadline, counted from when the
//! request reaches the application: past it, reading fails with a time-out
//! (the extractors answer 408), so a client that sends a byte now and then
//! cannot hold a connection open for ever.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;

pub fn with_deadline(body: Payload, limit: Duration) -> Payload {
    if matches!(body, Payload::None) {
        return body;
    }
    Payload::Stream { payload: Box::pin(Deadline { inner: body, timer: Box::pin(tokio::time::sleep(limit)) }) }
}

struct Deadline {
    inner: Payload,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}
