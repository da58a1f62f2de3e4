use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages::{
    accept_invite::AcceptInvite, audit::AuditLogPage, checkout::CheckoutPage, home::Home, login::Login,
    members::MembersPage, not_found::NotFound, provision::ProvisionPage, setup::SetupPage, signup::Signup,
    sso_result::SsoResult,
};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/login") view=Login />
                    <Route path=path!("/signup") view=Signup />
                    <Route path=path!("/invite/:token") view=AcceptInvite />
                    <Route path=path!("/setup/:token") view=SetupPage />
                    <Route path=path!("/sso-result") view=SsoResult />
                    <Route path=path!("/organizations/:org_id/members") view=MembersPage />
                    <Route path=path!("/organizations/:org_id/provision") view=ProvisionPage />
                    <Route path=path!("/organizations/:org_id/checkout") view=CheckoutPage />
                    <Route path=path!("/organizations/:org_id/audit") view=AuditLogPage />
                </Routes>
            </main>
        </Router>
    }
}
