//! Requests started by pages: `Call` (a form submit, a button) and `load`
//! (what a page shows). They play the part of leptos' `Action` and
//! `LocalResource` + `Suspense`, built so that the asynchronous plumbing
//! exists once in the binary: each page only adds its own future, boxed and
//! run by one non-generic `spawn`. With leptos' versions every call site got
//! its own copy of the executor, owner and signal glue around its future,
//! which was about a fifth of the SPA's size.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;

type Task = Pin<Box<dyn Future<Output = ()>>>;
type Runner<I> = StoredValue<Rc<dyn Fn(&I) -> Task>, LocalStorage>;
type Callbacks<O> = StoredValue<Vec<Rc<dyn Fn(&O)>>, LocalStorage>;

/// The one place tasks are handed to the browser's executor.
fn spawn(task: Task) {
    leptos::task::spawn_local(task);
}

/// A request the user starts, any number of times: `dispatch` runs it,
/// `pending` is true while one is in flight, and `on_done` callbacks see each
/// result as it arrives.
pub struct Call<I: 'static, O: 'static> {
    run: Runner<I>,
    in_flight: RwSignal<u32>,
    done: Callbacks<O>,
}

impl<I, O> Clone for Call<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I, O> Copy for Call<I, O> {}

impl<I: 'static, O: 'static> Call<I, O> {
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(&I) -> Fut + 'static,
        Fut: Future<Output = O> + 'static,
    {
        let in_flight = RwSignal::new(0u32);
        let done = StoredValue::new_local(Vec::<Rc<dyn Fn(&O)>>::new());
        let run: Rc<dyn Fn(&I) -> Task> = Rc::new(move |input: &I| {
            let fut = f(input);
            Box::pin(async move {
                let out = fut.await;
                // The page may have gone away meanwhile: then nobody listens.
                let Some(callbacks) = done.try_get_value() else { return };
                settle(in_flight);
                for callback in callbacks {
                    callback(&out);
                }
            })
        });
        Self { run: StoredValue::new_local(run), in_flight, done }
    }

    pub fn dispatch(&self, input: I) {
        let Some(run) = self.run.try_get_value() else { return };
        self.in_flight.update(|n| *n += 1);
        spawn(run(&input));
    }

    pub fn pending(&self) -> Signal<bool> {
        let in_flight = self.in_flight;
        Signal::derive(move || in_flight.get() > 0)
    }

    /// Runs `f` with every result, as it arrives.
    pub fn on_done(&self, f: impl Fn(&O) + 'static) {
        self.done.update_value(|callbacks| callbacks.push(Rc::new(f)));
    }
}

/// One request fewer in flight. Kept out of the generic code above.
#[inline(never)]
fn settle(in_flight: RwSignal<u32>) {
    in_flight.try_update(|n| *n = n.saturating_sub(1));
}

/// What a page shows: `None` until `fetch`'s future answers. It runs when the
/// page opens and again whenever a signal `fetch` reads (before its first
/// `.await`) changes; the previous value stays on screen meanwhile, and an
/// older request that answers late is ignored.
pub fn load<T, F, Fut>(fetch: F) -> ReadSignal<Option<T>>
where
    T: Send + Sync + 'static,
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = T> + 'static,
{
    let value = RwSignal::new(None);
    let latest = Rc::new(Cell::new(0u64));
    Effect::new(move || {
        let fut = fetch();
        let generation = latest.get() + 1;
        latest.set(generation);
        let latest = latest.clone();
        spawn(Box::pin(async move {
            let out = fut.await;
            if latest.get() == generation {
                value.try_set(Some(out));
            }
        }));
    });
    value.read_only()
}

/// One page of a list: its items and the cursor of the next page.
pub type Page<T> = Result<(Vec<T>, Option<String>), crate::api::ApiError>;

/// A list read a page at a time (`?cursor=`): `items` grows with each page,
/// `next` is the cursor of the one after (`None` on the last), `error` the
/// last failure. The first page is asked for at once.
pub struct Pages<T: 'static> {
    pub items: RwSignal<Vec<T>>,
    pub next: RwSignal<Option<String>>,
    pub error: RwSignal<Option<String>>,
    call: Call<Option<String>, Page<T>>,
}

impl<T> Clone for Pages<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Pages<T> {}

impl<T: Clone + Send + Sync + 'static> Pages<T> {
    /// `fetch(cursor)` answers one page: its items and the next cursor.
    pub fn new<F, Fut>(fetch: F) -> Self
    where
        F: Fn(Option<String>) -> Fut + 'static,
        Fut: Future<Output = Page<T>> + 'static,
    {
        let (items, next, error) = (RwSignal::new(Vec::new()), RwSignal::new(None), RwSignal::new(None));
        let call = Call::new(move |after: &Option<String>| fetch(after.clone()));
        call.on_done(move |result| match result {
            Ok((page, cursor)) => {
                items.update(|all| all.extend(page.iter().cloned()));
                next.set(cursor.clone());
                error.set(None);
            }
            Err(e) => error.set(Some(e.message())),
        });
        call.dispatch(None);
        Self { items, next, error, call }
    }

    /// A button that reads the next page; shown while there is one.
    pub fn more_button(self, label: &'static str, test_id: &'static str) -> impl IntoView {
        let pending = self.call.pending();
        move || {
            self.next.get().is_some().then(|| {
                view! {
                    <button class="secondary" data-testid=test_id disabled=move || pending.get()
                        on:click=move |_| self.call.dispatch(self.next.get_untracked())>{label}</button>
                }
            })
        }
    }
}

/// Asks again by itself while the page is open, so a status turns from
/// *awaiting* to *active* without a click: `tick` starts a refresh and says
/// whether something is still expected to change soon (then the next tick is
/// in 3 s, growing to 10 s; otherwise in 30 s), or `None` to stop. Stops too
/// when the page goes.
pub fn poll(tick: impl Fn() -> Option<bool> + 'static) {
    let alive = StoredValue::new(());
    schedule(alive, Rc::new(tick), 3_000);
}

#[inline(never)]
fn schedule(alive: StoredValue<()>, tick: Rc<dyn Fn() -> Option<bool>>, delay_ms: u64) {
    leptos::prelude::set_timeout(
        move || {
            // The page went away: its owner, and this value, are gone.
            if alive.try_get_value().is_none() {
                return;
            }
            let Some(waiting) = tick() else { return };
            let next = if waiting { (delay_ms * 3 / 2).clamp(3_000, 10_000) } else { 30_000 };
            schedule(alive, tick, next);
        },
        std::time::Duration::from_millis(delay_ms),
    );
}
