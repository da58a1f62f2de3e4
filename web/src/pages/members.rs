//! Organization → Members: the members with their role, plan and status,
//! and what an Administrator changes (role, plan, suspension, removal);
//! the pending invites (resend, revoke) and the invite form.

use leptos::prelude::*;
use shared::accounts::{InviteResponse, Member, PendingInvite, Role, UpdateMemberRequest};
use shared::provisioning::Plan;
use shared::{InviteId, OrganizationId, UserId};

use super::invite_form::{InviteForm, InviteLink};
use super::shell::{CurrentUser, OrgPage};
use crate::api::{self, ApiError};
use crate::call::{Call, Pages, load};
use crate::components::{ErrorBanner, Shown, failure, when};

#[component]
pub fn MembersPage(org: String) -> impl IntoView {
    view! { <OrgPage org=org active="members" content=|org| view! { <MembersTab org_id=org /> } /> }
}

/// A change to one member, and what came of it.
#[derive(Clone)]
enum Act {
    Update(UserId, UpdateMemberRequest),
    Remove(UserId),
}

type Done = Result<(UserId, Option<Member>), ApiError>;

use crate::components::ask;

fn plan_name(plans: &[Plan], id: &Option<String>) -> String {
    match id {
        Some(id) => plans.iter().find(|p| p.id == *id).map_or_else(|| id.clone(), |p| p.name.clone()),
        None => "—".to_owned(),
    }
}

#[component]
fn MembersTab(org_id: OrganizationId) -> impl IntoView {
    let me = use_context::<CurrentUser>().map(|c| c.0);
    let org = org_id.clone();
    let members = Pages::<Member>::new(move |after| {
        let org = org.clone();
        async move { api::members(&org, after.as_deref()).await.map(|p| (p.data, p.next_cursor)) }
    });
    let plans = load(api::plans);
    let plans = move || plans.get().and_then(Result::ok).unwrap_or_default();
    let problem = RwSignal::new(None::<String>);
    let org = org_id.clone();
    let act = Call::new(move |a: &Act| {
        let (org, a) = (org.clone(), a.clone());
        async move {
            let done: Done = match a {
                Act::Update(id, req) => api::update_member(&org, &id, &req).await.map(|m| (id, Some(m))),
                Act::Remove(id) => api::remove_member(&org, &id).await.map(|()| (id, None)),
            };
            done
        }
    });
    act.on_done(move |done: &Done| match done {
        Ok((id, changed)) => {
            problem.set(None);
            members.items.update(|all| match changed {
                Some(m) => all.iter_mut().filter(|x| x.user_id == *id).for_each(|x| *x = m.clone()),
                None => all.retain(|x| x.user_id != *id),
            });
        }
        Err(e) => problem.set(Some(e.message())),
    });
    let busy = act.pending();
    let update = move |id: UserId, req: UpdateMemberRequest| act.dispatch(Act::Update(id, req));

    let row = move |m: Member| {
        let yourself = me.as_ref() == Some(&m.user_id);
        // The directory owns a member it manages (role, status, membership);
        // nobody suspends, demotes or removes themselves here.
        let locked = m.directory_managed || yourself;
        let why = if m.directory_managed {
            "Managed by your directory: change their role and status in your identity provider."
        } else if yourself {
            "This is you: another Administrator changes your role or status."
        } else {
            ""
        };
        let (id_role, id_plan, id_status, id_remove) =
            (m.user_id.clone(), m.user_id.clone(), m.user_id.clone(), m.user_id.clone());
        let email = m.email.clone();
        let role_label = format!("Role of {}", m.email);
        let plan_label = format!("Plan of {}", m.email);
        let current_plan = m.plan_id.clone();
        let all_plans = plans();
        let plan_text = plan_name(&all_plans, &m.plan_id);
        let suspended = m.suspended;
        view! {
            <tr data-testid="member-row">
                <td class="who">
                    <span class="name">{m.name.clone()}</span>
                    <span class="email" data-testid="member-email">{m.email.clone()}</span>
                </td>
                <td data-label="Role">
                    <select aria-label=role_label data-testid="member-role-select" disabled=move || locked || busy.get()
                        title=why
                        on:change=move |ev| {
                            let role = if event_target_value(&ev) == "admin" { Role::Admin } else { Role::Member };
                            update(id_role.clone(), UpdateMemberRequest { role: Some(role), ..Default::default() });
                        }>
                        <option value="member" selected=m.role == Role::Member>"Member"</option>
                        <option value="admin" selected=m.role == Role::Admin>"Administrator"</option>
                    </select>
                    <span class="sr-only" data-testid="member-role">{m.role.label()}</span>
                </td>
                <td data-label="Plan">
                    <select aria-label=plan_label data-testid="member-plan" disabled=move || busy.get()
                        on:change=move |ev| {
                            let plan_id = Some(event_target_value(&ev));
                            update(id_plan.clone(), UpdateMemberRequest { plan_id, ..Default::default() });
                        }>
                        {current_plan.is_none().then(|| view! { <option value="" selected=true disabled=true>"No plan"</option> })}
                        {all_plans.into_iter().map(|p| {
                            let selected = current_plan.as_deref() == Some(p.id.as_str());
                            view! { <option value=p.id.clone() selected=selected>{p.name}</option> }
                        }).collect_view()}
                    </select>
                    <span class="sr-only">{plan_text}</span>
                </td>
                <td data-label="Status" data-testid="member-status">
                    <span class=if suspended { "badge inactive" } else { "badge active" }>
                        {if suspended { "Suspended" } else { "Active" }}
                    </span>
                    {m.directory_managed.then(|| view! { <span class="hint">"Directory"</span> })}
                </td>
                <td data-label="Joined">{when(m.joined_at, Shown::Day)}</td>
                <td class="row-actions">
                    <button type="button" class="secondary" data-testid="member-suspend" title=why
                        disabled=move || locked || busy.get()
                        on:click=move |_| update(id_status.clone(), UpdateMemberRequest { suspended: Some(!suspended), ..Default::default() })>
                        {if suspended { "Reactivate" } else { "Suspend" }}
                    </button>
                    <button type="button" class="link danger-text" data-testid="member-remove" title=why
                        disabled=move || locked || busy.get()
                        on:click=move |_| {
                            let question = format!("Remove {email} from the organization? They lose access at once; their account stays.");
                            if ask(&question) {
                                act.dispatch(Act::Remove(id_remove.clone()));
                            }
                        }>
                        "Remove"
                    </button>
                </td>
            </tr>
        }
    };

    let version = RwSignal::new(0u32);
    view! {
        <h2>"Members"</h2>
        {move || members.error.get().map(failure)}
        <ErrorBanner message=problem.into() />
        <div class="table-wrap">
            <table class="list members" data-testid="members-table">
                <thead><tr><th scope="col">"Member"</th><th scope="col">"Role"</th><th scope="col">"Plan"</th><th scope="col">"Status"</th><th scope="col">"Joined"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{move || members.items.get().into_iter().map(&row).collect_view()}</tbody>
            </table>
        </div>
        {members.more_button("Show more", "members-more")}
        <PendingInvites org_id=org_id.clone() version=version />
        <InviteForm org_id=org_id on_created=Callback::new(move |_| version.update(|v| *v += 1)) />
    }
}

/// A change to one invite.
#[derive(Clone)]
enum InviteAct {
    Resend(InviteId),
    Revoke(InviteId),
}

#[component]
fn PendingInvites(org_id: OrganizationId, version: RwSignal<u32>) -> impl IntoView {
    let org = org_id.clone();
    let invites = load(move || {
        version.track();
        let org = org.clone();
        async move { api::invites(&org).await }
    });
    let problem = RwSignal::new(None::<String>);
    let resent = RwSignal::new(None::<InviteResponse>);
    let act = Call::new(move |a: &InviteAct| {
        let (org, a) = (org_id.clone(), a.clone());
        async move {
            match a {
                InviteAct::Resend(id) => api::resend_invite(&org, &id).await.map(Some),
                InviteAct::Revoke(id) => api::revoke_invite(&org, &id).await.map(|()| None),
            }
        }
    });
    act.on_done(move |done: &Result<Option<InviteResponse>, ApiError>| match done {
        Ok(r) => {
            problem.set(None);
            resent.set(r.clone());
            version.update(|v| *v += 1);
        }
        Err(e) => problem.set(Some(e.message())),
    });
    let busy = act.pending();
    let row = move |i: PendingInvite| {
        let (resend_id, revoke_id, email) = (i.id.clone(), i.id.clone(), i.email.clone());
        view! {
            <tr data-testid="invite-row">
                <td class="who"><span class="email">{i.email.clone()}</span></td>
                <td data-label="Role">{i.role.label()}</td>
                <td data-label="Expires">{when(i.expires_at, Shown::Minute)}</td>
                <td class="row-actions">
                    <button type="button" class="secondary" data-testid="invite-resend" disabled=move || busy.get()
                        on:click=move |_| act.dispatch(InviteAct::Resend(resend_id.clone()))>"Resend"</button>
                    <button type="button" class="link danger-text" data-testid="invite-revoke" disabled=move || busy.get()
                        on:click=move |_| {
                            if ask(&format!("Revoke the invite for {email}? Its link stops working.")) {
                                act.dispatch(InviteAct::Revoke(revoke_id.clone()));
                            }
                        }>"Revoke"</button>
                </td>
            </tr>
        }
    };
    view! {
        <section class="pending" data-testid="pending-invites">
            <h3>"Pending invites"</h3>
            <ErrorBanner message=problem.into() />
            {move || resent.get().map(|inv| view! { <InviteLink invite=inv /> })}
            {move || match invites.get() {
                None => None,
                Some(Err(e)) => Some(failure(e.message())),
                Some(Ok(page)) if page.data.is_empty() => Some(view! { <p class="hint" data-testid="no-invites">"No pending invites."</p> }.into_any()),
                Some(Ok(page)) => Some(view! {
                    <div class="table-wrap">
                        <table class="list">
                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Expires"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>{page.data.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                    {page.next_cursor.is_some().then_some(view! { <p class="hint">"Showing the 200 oldest pending invites."</p> })}
                }.into_any()),
            }}
        </section>
    }
}
