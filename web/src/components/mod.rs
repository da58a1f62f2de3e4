//! Small reusable pieces: form fields with their error, banners, buttons.

use leptos::prelude::*;
use shared::FieldError;

use crate::api::ApiError;
use crate::call::Call;

/// What a form shows when a submission fails: field errors next to their
/// inputs (a 422, from the API or the same rule checked in the browser) or
/// one banner for the form (anything else).
#[derive(Clone, Copy)]
pub struct FormErrors {
    pub fields: RwSignal<Vec<FieldError>>,
    pub banner: RwSignal<Option<String>>,
}

impl FormErrors {
    pub fn new() -> Self {
        Self { fields: RwSignal::new(Vec::new()), banner: RwSignal::new(None) }
    }

    // Not inlined: every form's `follow` calls these (the SPA's size).
    #[inline(never)]
    pub fn clear(&self) {
        self.fields.set(Vec::new());
        self.banner.set(None);
    }

    #[inline(never)]
    pub fn show(&self, e: &ApiError) {
        self.fields.set(e.field_errors());
        self.banner.set(match e {
            ApiError::Problem(p) if p.status == 422 => None,
            _ => Some(e.message()),
        });
    }

    /// Runs `on_ok` when the call succeeds, shows the error when it fails.
    pub fn follow<I, T>(self, call: Call<I, Result<T, ApiError>>, on_ok: impl Fn(T) + 'static)
    where
        I: 'static,
        T: Clone + Send + Sync + 'static,
    {
        call.on_done(move |result| match result {
            Ok(v) => {
                self.clear();
                on_ok(v.clone());
            }
            Err(e) => self.show(e),
        });
    }
}

/// The browser's own yes/no question (a confirmation before a change that
/// takes something away).
pub fn ask(question: &str) -> bool {
    web_sys::window().and_then(|w| w.confirm_with_message(question).ok()).unwrap_or(false)
}

/// What a page shows while it loads.
pub fn loading(text: &'static str) -> AnyView {
    view! { <p class="loading" aria-busy="true">{text}</p> }.into_any()
}

/// A failure that replaces what a page would show.
pub fn failure(message: String) -> AnyView {
    view! { <div class="banner error" role="alert">{message}</div> }.into_any()
}

/// A labelled input whose error (from the API's problem+json or the same
/// rule checked in the browser) is shown right under it.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    /// A multi-line text area of this many rows instead of an input.
    #[prop(optional)]
    rows: Option<u32>,
    /// The on-screen keyboard to offer (`numeric` for card numbers).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("error-{name}");
    let message = move || errors.read().iter().find(|e| e.field == name).map(|e| e.message.clone());
    let invalid = move || if message().is_some() { "true" } else { "false" };
    let control = match rows {
        Some(rows) => view! {
            <textarea
                id=id.clone()
                name=name
                rows=rows
                spellcheck="false"
                data-testid=format!("input-{name}")
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            ></textarea>
        }
        .into_any(),
        None => view! {
            <input
                id=id.clone()
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                maxlength=maxlength
                placeholder=placeholder
                data-testid=format!("input-{name}")
                aria-invalid=invalid
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        }
        .into_any(),
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {control}
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=error_id data-testid=format!("error-{name}") role="alert">
                {message}
            </p>
        </div>
    }
}

/// A message for the whole form (wrong password, server unreachable, …).
#[component]
pub fn ErrorBanner(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        {move || (message.get().is_some()).then(|| view! {
            <div class="banner error" role="alert" data-testid="form-error">
                {move || message.get()}
            </div>
        })}
    }
}

/// A submit button that shows progress and cannot be double-clicked.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    busy_label: &'static str,
    busy: Signal<bool>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class="primary" data-testid=testid disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
            {move || if busy.get() { busy_label.to_owned() } else { label.clone() }}
        </button>
    }
}

/// Copies `text` to the clipboard and says so.
#[component]
pub fn CopyButton(text: String, testid: &'static str) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
    };
    view! {
        <button type="button" class="secondary" data-testid=testid on:click=on_click>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// Ends the session and goes to the login page.
#[component]
pub fn LogoutButton() -> impl IntoView {
    let navigate = crate::nav::use_navigate();
    let logout = Call::new(|_: &()| crate::api::logout());
    logout.on_done(move |_| navigate.to("/login"));
    view! {
        <button class="link" data-testid="logout" on:click=move |_| { logout.dispatch(()); }>"Log out"</button>
    }
}

/// Large radio buttons for picking one of a few options (an identity
/// provider, a directory): `(value, label, id)`, where `id` names the
/// button's `data-testid` (`provider-{id}`).
#[component]
pub fn Picker<T>(
    options: Vec<(T, &'static str, &'static str)>,
    selected: RwSignal<Option<T>>,
    label: &'static str,
    /// Test IDs are `{testid}-{id}`.
    #[prop(default = "provider")]
    testid: &'static str,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    // A radio group: Tab reaches the chosen tile (or the first), the arrow
    // keys move the choice, as with native radio buttons.
    let values: Vec<T> = options.iter().map(|(v, _, _)| *v).collect();
    let first = values.first().copied();
    let group = NodeRef::<leptos::html::Div>::new();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let step: isize = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" => 1,
            "ArrowLeft" | "ArrowUp" => -1,
            _ => return,
        };
        ev.prevent_default();
        let n = values.len() as isize;
        let at = selected.get_untracked().and_then(|s| values.iter().position(|v| *v == s)).map_or(-1, |i| i as isize);
        let next = if at < 0 { 0 } else { (at + step).rem_euclid(n) } as usize;
        selected.set(Some(values[next]));
        focus_nth(group.get_untracked().map(|g| g.into()), "[role=radio]", next);
    };
    view! {
        <div class="provider-grid" role="radiogroup" aria-label=label node_ref=group on:keydown=on_key>
            {options.into_iter().map(|(value, text, id)| view! {
                <button type="button" class="provider" role="radio"
                    data-testid=format!("{testid}-{id}")
                    aria-checked=move || (selected.get() == Some(value)).to_string()
                    tabindex=move || if selected.get().or(first) == Some(value) { "0" } else { "-1" }
                    class:selected=move || selected.get() == Some(value)
                    on:click=move |_| selected.set(Some(value))>
                    {text}
                </button>
            }).collect_view()}
        </div>
    }
}

/// How a time is shown: `2026-11-29` (`Day`), `2026-11-29 14:05 UTC`
/// (`Minute`) or `2026-11-29 14:05` (`Clock`, under a heading that says UTC).
/// Written out by hand: chrono's strftime formatter is several KB of wasm.
#[derive(Clone, Copy)]
pub enum Shown {
    Day,
    Minute,
    Clock,
}

pub fn when(t: chrono::DateTime<chrono::Utc>, shown: Shown) -> String {
    use chrono::{Datelike, Timelike};
    let day = format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
    match shown {
        Shown::Day => day,
        Shown::Minute => format!("{day} {:02}:{:02} UTC", t.hour(), t.minute()),
        Shown::Clock => format!("{day} {:02}:{:02}", t.hour(), t.minute()),
    }
}

/// What a keyboard can reach inside an element.
const FOCUSABLE: &str =
    "button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled])";

/// Focuses the `n`th element matching `selector` inside `root`.
#[inline(never)]
fn focus_nth(root: Option<web_sys::Element>, selector: &str, n: usize) {
    use leptos::wasm_bindgen::JsCast;
    let Some(list) = root.and_then(|r| r.query_selector_all(selector).ok()) else { return };
    if let Some(el) = list.item(n as u32).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}

/// A modal dialog: focus moves into it when it opens and back where it was
/// when it closes, Tab stays inside it, Escape closes it.
#[component]
pub fn Dialog(
    title_id: String,
    on_close: Callback<()>,
    #[prop(default = "dialog")] testid: &'static str,
    children: Children,
) -> impl IntoView {
    use leptos::wasm_bindgen::JsCast;
    let node = NodeRef::<leptos::html::Div>::new();
    let opener = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    let opener = StoredValue::new_local(opener);
    Effect::new(move || {
        if let Some(el) = node.get() {
            focus_nth(Some(el.into()), FOCUSABLE, 0);
        }
    });
    on_cleanup(move || {
        if let Some(Some(el)) = opener.try_get_value() {
            let _ = el.focus();
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        } else if ev.key() == "Tab" {
            trap_tab(node.get_untracked().map(Into::into), &ev);
        }
    };
    view! {
        <div class="backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=title_id node_ref=node
                data-testid=testid on:keydown=on_key>
                {children()}
            </div>
        </div>
    }
}

/// Keeps Tab inside `root`: from the last focusable element to the first,
/// and Shift+Tab from the first to the last.
#[inline(never)]
fn trap_tab(root: Option<web_sys::Element>, ev: &web_sys::KeyboardEvent) {
    let Some(root) = root else { return };
    let Ok(list) = root.query_selector_all(FOCUSABLE) else { return };
    let count = list.length();
    if count == 0 {
        return;
    }
    let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
    let is = |i: u32| list.item(i).zip(active.as_ref()).is_some_and(|(a, b)| a.is_same_node(Some(b)));
    let (first, last) = (0, count - 1);
    if ev.shift_key() && is(first) {
        ev.prevent_default();
        focus_nth(Some(root), FOCUSABLE, last as usize);
    } else if !ev.shift_key() && is(last) {
        ev.prevent_default();
        focus_nth(Some(root), FOCUSABLE, first as usize);
    }
}
