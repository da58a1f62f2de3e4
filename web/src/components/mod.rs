//! Small reusable pieces: form fields with their error, banners, buttons.

use leptos::prelude::*;
use shared::FieldError;

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
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("error-{name}");
    let message = move || errors.read().iter().find(|e| e.field == name).map(|e| e.message.clone());
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                data-testid=format!("input-{name}")
                aria-invalid=move || if message().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
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
        <Show when=move || message.get().is_some()>
            <div class="banner error" role="alert" data-testid="form-error">
                {move || message.get()}
            </div>
        </Show>
    }
}

/// A submit button that shows progress and cannot be double-clicked.
#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    busy: Signal<bool>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class="primary" data-testid=testid disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
            {move || if busy.get() { busy_label } else { label }}
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
