//! The Require SSO card on Organization → Single Sign-On / Provision: the
//! checklist, the test sign-in, the break-glass Administrators and the
//! switch. Every line derives from what the server holds now.

use leptos::prelude::*;
use shared::enforcement::{Condition, MAX_BREAK_GLASS, SsoEnforcement, SsoEnforcementRequest};
use shared::time::ago;
use shared::{OrganizationId, UserId};

use crate::api;
use crate::call::{Call, load};
use crate::components::{ErrorBanner, FormErrors, failure, loading};

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

#[component]
pub fn RequireSsoCard(org_id: OrganizationId) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let org = org_id.clone();
    let data = load(move || {
        version.track();
        let org = org.clone();
        async move { api::sso_enforcement(&org).await }
    });
    view! {
        <section class="card" aria-labelledby="require-sso-title" data-testid="require-sso">
            <h2 id="require-sso-title">"Require SSO"</h2>
            {move || match data.get() {
                None => loading("Loading…"),
                Some(Err(e)) => failure(e.message()),
                Some(Ok(view)) => view! { <Enforcement org_id=org_id.clone() view=view version=version /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Enforcement(org_id: OrganizationId, view: SsoEnforcement, version: RwSignal<u32>) -> impl IntoView {
    let form = FormErrors::new();
    let chosen =
        RwSignal::new(view.break_glass.iter().filter(|b| b.active).map(|b| b.user_id.clone()).collect::<Vec<_>>());
    let org = org_id.clone();
    let save = Call::new(move |req: &SsoEnforcementRequest| {
        let org = org.clone();
        let req = req.clone();
        async move { api::set_sso_enforcement(&org, &req).await }
    });
    form.follow(save, move |_| version.update(|v| *v += 1));
    let org = org_id.clone();
    let test = Call::new(move |_: &()| {
        let org = org.clone();
        async move { api::start_admin_sso_test(&org).await }
    });
    let back = format!("/organizations/{org_id}/provision");
    form.follow(test, move |r| {
        if let Some(s) = web_sys::window().and_then(|w| w.session_storage().ok().flatten()) {
            let _ = s.set_item(super::setup_sso::RETURN_KEY, &back);
        }
        api::go_to(&r.redirect_url);
    });
    let required = view.required;
    let submit = move |on: bool| {
        form.clear();
        save.dispatch(SsoEnforcementRequest { required: on, break_glass_user_ids: chosen.get_untracked() });
    };
    let now = now();
    let tested = match view.tested_at {
        Some(t) => format!("Last test sign-in passed {}.", ago(t, now)),
        None => "No test sign-in has passed yet.".to_owned(),
    };
    let last_use =
        view.last_break_glass_use().map(|(t, who)| format!("Break-glass sign-in used {} by {who}.", ago(t, now)));
    let stored = view.break_glass.clone();
    // While on, only what it still depends on (a test sign-in counts for turning it on).
    let shown: Vec<_> = if required {
        view.checklist.iter().filter(|c| !c.met && c.code != "recent_test").cloned().collect()
    } else {
        view.checklist.clone()
    };
    view! {
        <div class="enforce">
        <div>
        <p class="status-head">
            <span class=if required { "badge active" } else { "badge inactive" } data-testid="require-sso-state">
                {if required { "On" } else { "Off" }}
            </span>
            <span class="hint">"Members whose email is in a verified domain sign in through your identity provider only."</span>
        </p>
        {view.paused.clone().map(|why| view! { <p class="banner warning" role="note" data-testid="require-sso-paused">{why}</p> })}
        {last_use.map(|text| view! { <p class="banner info" data-testid="break-glass-last-use">{text}</p> })}
        {(!shown.is_empty()).then(|| view! {
            <h3>{if required { "Needs attention" } else { "Before turning it on" }}</h3>
            <ul class="checklist" data-testid="enforcement-checklist">
                {shown.iter().map(|c| view! {
                    <li class=if c.met { "met" } else { "unmet" } data-testid=format!("condition-{}", c.code)>
                        <span aria-hidden="true">{if c.met { "✓ " } else { "✗ " }}</span>
                        <span class="sr-only">{if c.met { "Done: " } else { "To do: " }}</span>
                        {c.message.clone()}
                    </li>
                }).collect_view()}
            </ul>
        })}
        <p class="hint" data-testid="last-test">{tested}</p>
        <button type="button" class="secondary" data-testid="admin-sso-test"
            disabled=move || test.pending().get()
            on:click=move |_| { form.clear(); test.dispatch(()); }>
            {move || if test.pending().get() { "Opening your identity provider…" } else { "Test sign-in" }}
        </button>
        </div>
        <div>
        <fieldset class="choices break-glass">
            <legend>{format!("Break-glass Administrators (1 to {MAX_BREAK_GLASS})")}</legend>
            <p class="hint">"They keep password sign-in if your identity provider is down and can always turn Require SSO off; each use is audited."</p>
            {view.administrators.iter().map(|a| {
                let id = a.user_id.clone();
                let (toggle_id, checked_id) = (id.clone(), id.clone());
                let used = stored.iter().find(|b| b.user_id == id).map(|b| match b.last_used_at {
                    Some(t) => format!("used {}", ago(t, now)),
                    None => "never used".to_owned(),
                });
                view! {
                    <label class="choice" data-testid=format!("break-glass-{}", a.email)>
                        <input type="checkbox"
                            prop:checked=move || chosen.read().contains(&checked_id)
                            disabled=move || { let c = chosen.read(); !c.contains(&id) && c.len() >= MAX_BREAK_GLASS }
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| toggle(c, &toggle_id, on));
                            } />
                        <span>{a.email.clone()}</span>
                        {used.map(|u| view! { <span class="hint">{format!("· {u}")}</span> })}
                    </label>
                }
            }).collect_view()}
        </fieldset>
        <ErrorBanner message=form.banner.into() />
        {move || {
            // What the checklist does not already say (a 422 on the names).
            let errors: Vec<_> = form.fields.get().into_iter().filter(|e| !is_condition(&e.code)).collect();
            (!errors.is_empty()).then(|| view! {
                <div role="alert" data-testid="enforcement-errors">
                    <ul class="field-error">
                        {errors.into_iter().map(|e| view! { <li>{e.message}</li> }).collect_view()}
                    </ul>
                </div>
            })
        }}
        <div class="actions">
            {if required {
                view! {
                    <button type="button" class="secondary" data-testid="save-break-glass"
                        disabled=move || save.pending().get() on:click=move |_| submit(true)>"Save break-glass Administrators"</button>
                    <button type="button" class="danger" data-testid="require-sso-off"
                        disabled=move || save.pending().get()
                        on:click=move |_| if crate::components::ask("Turn off Require SSO? Members will be able to sign in with a password again.") { submit(false) }>
                        "Turn off Require SSO"
                    </button>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="primary" data-testid="require-sso-on"
                        disabled=move || save.pending().get() on:click=move |_| submit(true)>
                        {move || if save.pending().get() { "Turning on…" } else { "Require SSO" }}
                    </button>
                }.into_any()
            }}
        </div>
        {(!required).then(|| view! {
            <p class="hint">"Turning it on ends the password sessions of the members it covers (yours too, unless you are break-glass)."</p>
        })}
        </div>
        </div>

    }
}

fn is_condition(code: &str) -> bool {
    Condition::ALL.iter().any(|c| c.code() == code)
}

fn toggle(list: &mut Vec<UserId>, id: &UserId, on: bool) {
    list.retain(|x| x != id);
    if on {
        list.push(id.clone());
    }
}
