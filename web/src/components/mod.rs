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
    view! {
        <div class="provider-grid" role="radiogroup" aria-label=label>
            {options.into_iter().map(|(value, text, id)| view! {
                <button type="button" class="provider" role="radio"
                    data-testid=format!("{testid}-{id}")
                    aria-checked=move || (selected.get() == Some(value)).to_string()
                    class:selected=move || selected.get() == Some(value)
                    on:click=move |_| selected.set(Some(value))>
                    {text}
                </button>
            }).collect_view()}
        </div>
    }
}

/// How a time is shown: `2026-11-29` (`Day`), `2026-11-29 14:05 UTC`
/// (`Minute`) or `2026-11-29 14:05:09` (`Second`, in the UTC audit table).
/// Written out by hand: chrono's strftime formatter is several KB of wasm.
#[derive(Clone, Copy)]
pub enum Shown {
    Day,
    Minute,
    Second,
}

pub fn when(t: chrono::DateTime<chrono::Utc>, shown: Shown) -> String {
    use chrono::{Datelike, Timelike};
    let day = format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day());
    match shown {
        Shown::Day => day,
        Shown::Minute => format!("{day} {:02}:{:02} UTC", t.hour(), t.minute()),
        Shown::Second => format!("{day} {:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
    }
}
