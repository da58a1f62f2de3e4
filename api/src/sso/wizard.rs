//! The connection wizard an SSO setup link opens: our SP values, the
//! identity provider's side (SAML metadata, URL or by hand; OIDC discovery),
//! the test sign-in's start, and our SAML metadata.

#[allow(clippy::wildcard_imports)]
use super::*;

fn view(state: &AppState, c: &connection::Model, status: IntegrationStatus) -> SsoConnection {
    let (entity_id, acs_url) = saml_sp(state, &c.id);
    SsoConnection {
        id: c.id.clone(),
        provider: c.provider.as_deref().and_then(SsoProvider::parse),
        protocol: c.protocol.as_deref().and_then(SsoProtocol::parse),
        status,
        sp_entity_id: entity_id.clone(),
        acs_url,
        metadata_url: entity_id,
        redirect_uri: redirect_uri(state, &c.id),
        issuer: c.oidc_issuer.clone(),
        client_id: c.oidc_client_id.clone(),
        client_secret_set: c.oidc_client_secret.is_some(),
        idp_entity_id: c.saml_idp_entity_id.clone(),
        idp_sso_url: c.saml_sso_url.clone(),
        idp_metadata_url: c.saml_metadata_url.clone(),
        idp_certificate_expires_at: c.saml_certificate_expires_at,
    }
}

async fn link_org(state: &AppState, token: &str) -> AppResult<(OrganizationId, String)> {
    let (link, _) = resolve(state, token, Some(SetupKind::Sso)).await?;
    Ok((link.organization_id, link.id))
}

#[utoipa::path(
    get, path = "/api/v1/setup/{token}/sso-connection", tag = "sso", operation_id = "getSsoConnection",
    summary = "Get the SSO connection",
    description = "The identity provider connection as configured so far, with what to enter at the identity provider.",
    params(("token" = String, Path, description = "The token from an SSO setup link")),
    responses(
        (status = 200, description = "Our values to paste into the identity provider, and what is configured (no secrets)", body = SsoConnection),
        (status = 401, description = "Not an SSO setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired or replaced link", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_connection(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<web::Json<SsoConnection>> {
    let (org_id, _) = link_org(&state, &token).await?;
    let c = connection_of(&state, &org_id).await?;
    Ok(web::Json(view(&state, &c, sso_status(&state, &org_id).await?)))
}

#[utoipa::path(
    put, path = "/api/v1/setup/{token}/sso-connection", tag = "sso", operation_id = "saveSsoConnection",
    summary = "Save the SSO connection",
    description = "Saves the SAML or OpenID Connect settings of the identity provider (read from its metadata or discovery document).",
    params(("token" = String, Path, description = "The token from an SSO setup link")),
    request_body = SsoConnectionRequest,
    responses(
        (status = 200, description = "Saved; run a test sign-in to turn SSO active", body = SsoConnection),
        (status = 401, description = "Not an SSO setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired or replaced link", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing or invalid, or the issuer's discovery document could not be used (`issuer`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_connection(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
    body: web::Json<SsoConnectionRequest>,
) -> AppResult<web::Json<SsoConnection>> {
    // Saving may fetch from the provider: counted like a sign-in start, so
    // a setup link cannot make this server fetch without bound.
    state.limit_auth(&meta)?;
    let (org_id, link_id) = link_org(&state, &token).await?;
    let c = connection_of(&state, &org_id).await?;
    let before = trust_anchor(&c);
    let (m, details) = match body.protocol {
        Some(SsoProtocol::Oidc) => oidc_settings(&state, c, &body).await?,
        Some(SsoProtocol::Saml) => saml_settings(&state, c, &body).await?,
        None => return Err(AppError::field("protocol", "required", "Choose SAML or OpenID Connect.")),
    };
    let now = state.clock.now();
    let txn = state.begin_write().await?;
    // Not revoked, replaced or expired while the provider was being read.
    crate::setup::service::still_live(&*txn, &link_id, now, false).await?;
    let mut m = m;
    m.updated_at = Set(now);
    let saved = m.update(&txn).await?;
    // Another provider (or another key of it) vouches for nobody the old
    // one linked: whoever holds the setup link could otherwise sign in as a
    // linked Administrator by naming their subject. Members re-link on
    // their next sign-in under the first-sign-in rules.
    let mut forgotten = 0;
    if trust_anchor(&saved) != before {
        forgotten = entity::identity::Entity::delete_many()
            .filter(entity::identity::Column::ConnectionId.eq(saved.id.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    // A changed configuration must pass a new test sign-in.
    let retest = features::Transition {
        org_id: &org_id,
        feature: Feature::Sso,
        from: &[IntegrationStatus::Active, IntegrationStatus::Error],
        to: IntegrationStatus::Awaiting,
        reason: None,
    };
    features::transition(&*txn, retest, now, &meta, None).await?;
    let mut details = details;
    details["link_id"] = serde_json::json!(link_id);
    if forgotten > 0 {
        details["identities_unlinked"] = serde_json::json!(forgotten);
    }
    let event = Event {
        organization_id: &org_id,
        actor: "setup_link",
        action: "sso.connection_saved",
        target: &saved.id,
        details,
    };
    audit::record(&txn, &meta, now, event).await?;
    let data = serde_json::json!({
        "id": saved.id,
        "organization_id": org_id,
        "provider": saved.provider,
        "protocol": saved.protocol,
        "oidc_issuer": saved.oidc_issuer,
        "saml_idp_entity_id": saved.saml_idp_entity_id,
        "updated_at": saved.updated_at,
    });
    let configured = crate::events::NewEvent::new("sso_connection.configured", &org_id, saved.id.as_str(), data)
        .by(shared::events::Source::SetupLink);
    crate::events::emit(&*txn, configured, now).await?;
    txn.commit().await?;
    Ok(web::Json(view(&state, &saved, sso_status(&state, &org_id).await?)))
}

/// What decides who the provider can vouch for: its protocol, SAML entity
/// ID and signing certificates, or OIDC issuer and client ID.
fn trust_anchor(c: &connection::Model) -> [Option<String>; 5] {
    [
        c.protocol.clone(),
        c.saml_idp_entity_id.clone(),
        c.saml_certificates.clone(),
        c.oidc_issuer.clone(),
        c.oidc_client_id.clone(),
    ]
}

/// Clears what belongs to the other protocol (a stored client secret goes
/// when the connection becomes SAML).
fn reset_protocol(m: &mut connection::ActiveModel, protocol: SsoProtocol, provider: SsoProvider) {
    m.provider = Set(Some(provider.as_str().to_owned()));
    m.protocol = Set(Some(protocol.as_str().to_owned()));
    if protocol == SsoProtocol::Saml {
        m.oidc_issuer = Set(None);
        m.oidc_client_id = Set(None);
        m.oidc_client_secret = Set(None);
        m.oidc_authorization_endpoint = Set(None);
        m.oidc_token_endpoint = Set(None);
        m.oidc_jwks_uri = Set(None);
        m.oidc_userinfo_endpoint = Set(None);
    } else {
        m.saml_idp_entity_id = Set(None);
        m.saml_sso_url = Set(None);
        m.saml_certificates = Set(None);
        m.saml_metadata_url = Set(None);
        m.saml_certificate_expires_at = Set(None);
    }
}

type Settings = (connection::ActiveModel, serde_json::Value);

async fn oidc_settings(state: &AppState, c: connection::Model, body: &SsoConnectionRequest) -> AppResult<Settings> {
    let keep_secret = c.oidc_client_secret.is_some() && c.protocol.as_deref() == Some(SsoProtocol::Oidc.as_str());
    let valid = body.validate_oidc(keep_secret).map_err(|e| AppError::Validation(e.into_vec()))?;
    let discovered = oidc::discover(&state.outbound, &valid.issuer).await.map_err(|e| {
        AppError::Validation(vec![FieldError::new(
            "issuer",
            "discovery_failed",
            format!("Could not use this issuer: {e}."),
        )])
    })?;
    let secret = match &valid.client_secret {
        Some(s) => Some(state.keys.seal(s.as_bytes())?),
        None => c.oidc_client_secret.clone(),
    };
    let mut m: connection::ActiveModel = c.into();
    reset_protocol(&mut m, SsoProtocol::Oidc, valid.provider);
    m.oidc_issuer = Set(Some(discovered.issuer.clone()));
    m.oidc_client_id = Set(Some(valid.client_id.clone()));
    m.oidc_client_secret = Set(secret);
    m.oidc_authorization_endpoint = Set(Some(discovered.authorization_endpoint));
    m.oidc_token_endpoint = Set(Some(discovered.token_endpoint));
    m.oidc_jwks_uri = Set(Some(discovered.jwks_uri));
    m.oidc_userinfo_endpoint = Set(discovered.userinfo_endpoint);
    let details = serde_json::json!({ "protocol": "oidc", "issuer": discovered.issuer, "client_id": valid.client_id });
    Ok((m, details))
}

async fn saml_settings(state: &AppState, c: connection::Model, body: &SsoConnectionRequest) -> AppResult<Settings> {
    let valid = body.validate_saml().map_err(|e| AppError::Validation(e.into_vec()))?;
    let refuse = |field: &str, e: saml::SamlError| {
        AppError::Validation(vec![FieldError::new(field, "invalid_metadata", capitalize(&e.0))])
    };
    let (idp, metadata_url) = match &valid.source {
        SamlSource::MetadataXml(xml) => (saml::parse_metadata(xml).map_err(|e| refuse("idp_metadata_xml", e))?, None),
        SamlSource::MetadataUrl(url) => {
            let xml = saml::fetch_metadata(&state.outbound, url).await.map_err(|e| refuse("idp_metadata_url", e))?;
            (saml::parse_metadata(&xml).map_err(|e| refuse("idp_metadata_url", e))?, Some(url.clone()))
        }
        SamlSource::Manual { entity_id, sso_url, certificate } => {
            let der = saml::parse_certificate(certificate).map_err(|e| refuse("idp_certificate", e))?;
            let idp =
                saml::IdpConfig { entity_id: entity_id.clone(), sso_url: sso_url.clone(), certificates: vec![der] };
            (idp, None)
        }
    };
    let expires = idp.certificate_expires_at();
    let mut m: connection::ActiveModel = c.into();
    reset_protocol(&mut m, SsoProtocol::Saml, valid.provider);
    m.saml_idp_entity_id = Set(Some(idp.entity_id.clone()));
    m.saml_sso_url = Set(Some(idp.sso_url.clone()));
    m.saml_certificates = Set(Some(idp.certificates_text()));
    m.saml_metadata_url = Set(metadata_url);
    m.saml_certificate_expires_at = Set(expires);
    let details = serde_json::json!({
        "protocol": "saml",
        "idp_entity_id": idp.entity_id,
        "idp_sso_url": idp.sso_url,
        "certificates": idp.certificates.len(),
        "certificate_expires_at": expires,
    });
    Ok((m, details))
}

#[utoipa::path(
    post, path = "/api/v1/setup/{token}/sso-test", tag = "sso", operation_id = "startSetupSsoTest",
    summary = "Test the identity provider",
    description = "Starts a test sign-in; a pass turns Single Sign-On active.",
    params(("token" = String, Path, description = "The token from an SSO setup link")),
    responses(
        (status = 200, description = "Send the browser here to sign in at the identity provider; a cookie binds the sign-in to this browser", body = SsoRedirect),
        (status = 401, description = "Not an SSO setup link we issued", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The connection is not configured yet (`not_configured`)", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Expired or replaced link", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client address; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_test(
    state: web::Data<AppState>,
    meta: RequestMeta,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    state.limit_auth(&meta)?;
    let (org_id, _) = link_org(&state, &token).await?;
    let c = connection_of(&state, &org_id).await?;
    begin_sign_in(&state, &c, PURPOSE_TEST, None, None).await
}

/// `GET /sso/saml/{connection_id}/metadata`: our SP metadata for the identity provider.
pub async fn saml_metadata(state: web::Data<AppState>, path: web::Path<String>) -> AppResult<HttpResponse> {
    let id = Some(path.as_str()).filter(|id| !id.contains('\0'));
    let c = match id {
        Some(id) => connection::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    }
    .ok_or_else(|| AppError::NotFoundWith { code: "not_found", detail: "No such SSO connection.".to_owned() })?;
    let (entity_id, acs_url) = saml_sp(&state, &c.id);
    Ok(HttpResponse::Ok()
        .content_type("application/samlmetadata+xml; charset=utf-8")
        .insert_header(header::ContentDisposition::attachment(format!("gatehouse-{}-metadata.xml", c.id)))
        .body(saml::sp_metadata(&entity_id, &acs_url)))
}
