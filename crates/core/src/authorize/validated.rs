//! Stage 6 after the redirect boundary (SPEC §4.6; RFC 6749 §4.1.1, OpenID Connect Core
//! §3.1.2.1, RFC 7636 §4.3, RFC 9101 §10.5, RFC 9126 §6): the ordinary checks of the
//! effective request, in the order they run, and the one constructor of
//! [`ValidatedRequest`]. Every error here goes to the client's registered redirect URI.

use super::params::bounded;
use super::prompt::{self, PromptRequest};
use super::redirect_uri::{self, MAX_STATE_BYTES};
use super::request_object::merge::Effective;
use super::request_object::refusal::{Check, Refusal};
use super::request_object::{RequestObjectInfo, ValidatedRequestObject};
use super::transport::{Endpoint, Transport};
use super::{authorization_details, dpop_jkt, pkce, response_type, scope};
use crate::clients::Client;
use crate::error::OAuthError;
use crate::response::{self, AuthorizeError, RedirectTarget, ResponseMode};
use crate::settings::Settings;
use serde::Deserialize;
use std::collections::BTreeMap;

mod wire;

/// An authorization request that passed every stage of SPEC §4. Only this type reaches
/// login, consent, code issuance and PAR storage. Made by [`check`] (and read back from what
/// this server stored: a pushed request, a sealed or stored interaction).
///
/// Stored and sealed in a compact form ([`wire`]): a value that is also in `parameters` (or a
/// request-object claim equal to its parameter) is written once and named, so the sealed
/// interaction id carries each value once instead of three times (issue 18).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "wire::Stored")]
pub struct ValidatedRequest {
    client_id: String,
    redirect_uri: String,
    response_type: String,
    scope: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    prompt: PromptRequest,
    login_hint: Option<String>,
    parameters: BTreeMap<String, String>,
    trusted: Vec<String>,
    request_object_values: Option<serde_json::Map<String, serde_json::Value>>,
    transport: Transport,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request_object: Option<RequestObjectInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<String>,
    #[serde(default, skip_serializing_if = "ResponseMode::is_default")]
    response_mode: ResponseMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authorization_details: Option<Vec<serde_json::Value>>,
}

impl ValidatedRequest {
    /// The client.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// A redirect URI registered for the client.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
    /// Always `code`.
    pub fn response_type(&self) -> &str {
        &self.response_type
    }
    /// The scope granted if the person approves.
    pub fn scope(&self) -> &[String] {
        &self.scope
    }
    /// `state`, echoed with the response.
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }
    /// `nonce`, put in the ID token.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }
    /// The PKCE S256 challenge (RFC 7636 §4.3).
    pub fn code_challenge(&self) -> Option<&str> {
        self.code_challenge.as_deref()
    }
    /// `prompt` and `max_age` (OpenID Connect Core §3.1.2.1).
    pub fn prompt(&self) -> &PromptRequest {
        &self.prompt
    }
    /// `login_hint`.
    pub fn login_hint(&self) -> Option<&str> {
        self.login_hint.as_deref()
    }
    /// Whether a request object signed with one of the client's registered keys carried it.
    pub fn is_signed(&self) -> bool {
        self.request_object
            .as_ref()
            .is_some_and(|o| o.signer.is_some())
    }
    /// The effective parameters (SPEC §4.8).
    pub fn parameters(&self) -> &BTreeMap<String, String> {
        &self.parameters
    }
    /// Names of the parameters that came from a signed request object (none for plain
    /// requests).
    pub fn trusted(&self) -> &[String] {
        &self.trusted
    }
    /// The request object's full claim set, when there was one.
    pub fn request_object_values(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.request_object_values.as_ref()
    }
    /// How the request arrived.
    pub fn transport(&self) -> Transport {
        self.transport
    }
    /// The request object's header, signer and encryption, when there was one.
    pub fn request_object(&self) -> Option<&RequestObjectInfo> {
        self.request_object.as_ref()
    }
    /// The checked `authorization_details` (RFC 9396), granted if the person approves.
    pub fn authorization_details(&self) -> Option<&[serde_json::Value]> {
        self.authorization_details.as_deref()
    }
    /// The thumbprint of the DPoP key the code will be bound to (RFC 9449 §10).
    pub fn dpop_jkt(&self) -> Option<&str> {
        self.dpop_jkt.as_deref()
    }
    /// RFC 9449 §10.1 at `/par`: the `DPoP` header's key binds the code. With a `dpop_jkt`
    /// in the request as well, the two must be the same key.
    pub fn bind_dpop_key(mut self, jkt: &str) -> Result<Self, OAuthError> {
        match &self.dpop_jkt {
            Some(named) if named != jkt => Err(crate::dpop::refused(
                crate::dpop::DpopCheck::Binding,
                "dpop_jkt names another key than the DPoP proof sent with the pushed request (RFC 9449 §10.1)",
            )),
            _ => {
                self.dpop_jkt = Some(jkt.to_string());
                Ok(self)
            }
        }
    }
    /// Whether this is an OpenID Connect request.
    pub fn is_openid(&self) -> bool {
        self.scope.iter().any(|s| s == "openid")
    }
    /// Where the response and errors go: the registered redirect URI it was validated with.
    pub fn redirect_target(&self) -> RedirectTarget {
        RedirectTarget::registered(
            &self.client_id,
            self.redirect_uri.clone(),
            self.state.clone(),
            self.response_mode,
        )
    }
}

/// Stage 6 on the effective request, in order. `object` is the validated request object the
/// request came in, if any; `transport` how it arrived.
pub fn check(
    settings: &Settings,
    endpoint: Endpoint,
    client: &Client,
    effective: Effective,
    object: Option<ValidatedRequestObject>,
    transport: Transport,
) -> Result<ValidatedRequest, AuthorizeError> {
    let p = &effective;
    // The redirect boundary (RFC 6749 §4.1.2.1): until here errors are pages; from here on,
    // they go to the client.
    let target = redirect_uri::target(settings, client, p)?;
    let to_client = |e: OAuthError| AuthorizeError::Redirect(e, Box::new(target.clone()));

    check_signed_if_required(settings, client, object.as_ref()).map_err(to_client)?;
    response_type::check(client, p.get("response_type")).map_err(to_client)?;
    response::check_requested(settings, client, p.get("response_mode")).map_err(to_client)?;
    let scope = scope::check(client, p.get("scope")).map_err(to_client)?;
    let authorization_details = p
        .get("authorization_details")
        .map(|raw| authorization_details::check(&settings.rar, client, raw))
        .transpose()
        .map_err(to_client)?;
    let code_challenge = pkce::check_challenge(
        client.config.pkce_required() || settings.rules(client).pkce_required,
        p.get("code_challenge"),
        p.get("code_challenge_method"),
    )
    .map_err(to_client)?;
    let prompt = prompt::check(p.get("prompt"), p.get("max_age")).map_err(to_client)?;
    let nonce = bounded(p.get("nonce"), "nonce", MAX_STATE_BYTES).map_err(to_client)?;
    let login_hint =
        bounded(p.get("login_hint"), "login_hint", MAX_STATE_BYTES).map_err(to_client)?;
    let dpop_jkt =
        dpop_jkt::check(p.get("dpop_jkt"), settings.dpop.enabled()).map_err(to_client)?;
    check_pushed_if_required(settings, endpoint, transport, client).map_err(to_client)?;

    let (request_object, request_object_values) = match object {
        Some(o) => {
            let (info, claims) = o.into_parts();
            (Some(info), Some(claims))
        }
        None => (None, None),
    };
    let Effective { params, trusted } = effective;
    Ok(ValidatedRequest {
        client_id: client.id().to_string(),
        redirect_uri: target.redirect_uri().to_string(),
        response_type: "code".into(),
        scope,
        state: target.state().map(str::to_string),
        nonce,
        code_challenge,
        prompt,
        login_hint,
        parameters: known_parameters(params),
        trusted: known_names(trusted),
        request_object_values,
        transport,
        request_object,
        dpop_jkt,
        response_mode: target.mode(),
        authorization_details,
    })
}

/// The authorization request parameters this server knows (RFC 6749 §4.1.1, OpenID Connect
/// Core §3.1.2.1 and §5.5, RFC 7636 §4.3, RFC 9449 §10, RFC 9396 §2, RFC 8707 §2, OAuth 2.0
/// Multiple Response Types / Form Post / JARM `response_mode`).
pub const AUTHORIZATION_PARAMETERS: &[&str] = &[
    "acr_values",
    "authorization_details",
    "claims",
    "claims_locales",
    "client_id",
    "code_challenge",
    "code_challenge_method",
    "display",
    "dpop_jkt",
    "id_token_hint",
    "login_hint",
    "max_age",
    "nonce",
    "prompt",
    "redirect_uri",
    "resource",
    "response_mode",
    "response_type",
    "scope",
    "state",
    "ui_locales",
];

/// RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters."
/// They are not carried with the pending interaction either, so a request padded with
/// unknown parameters costs neither handle bytes nor a store row (issue 16, finding 2).
/// `authorization_details` is carried once, checked and parsed, in its own field.
fn known_parameters(mut params: BTreeMap<String, String>) -> BTreeMap<String, String> {
    params.retain(|k, _| {
        k != "authorization_details" && AUTHORIZATION_PARAMETERS.contains(&k.as_str())
    });
    params
}

/// The names of `trusted` that are [`AUTHORIZATION_PARAMETERS`], in that list's order (a set:
/// only whether a name is in it is read; in one order, it is sealed as one number, `wire`).
fn known_names(trusted: Vec<String>) -> Vec<String> {
    let mut known: Vec<(usize, String)> = trusted
        .into_iter()
        .filter_map(|k| {
            AUTHORIZATION_PARAMETERS
                .iter()
                .position(|p| *p == k)
                .map(|i| (i, k))
        })
        .collect();
    known.sort_unstable_by_key(|(i, _)| *i);
    known.into_iter().map(|(_, k)| k).collect()
}

/// RFC 9101 §10.5: a client (or server, or profile) that requires signed request objects
/// gets `invalid_request` for a plain request or an allowed unsigned object.
fn check_signed_if_required(
    settings: &Settings,
    client: &Client,
    object: Option<&ValidatedRequestObject>,
) -> Result<(), OAuthError> {
    let signed = object.is_some_and(ValidatedRequestObject::is_signed);
    if settings.jar_policy.requires_signed(client) && !signed {
        return Err(Refusal::new(
            Check::Required,
            "this client must send a signed request object (RFC 9101 §10.5)",
        )
        .into_error());
    }
    Ok(())
}

/// Stage 6 at `/authorize`: a client (or profile) that must push its requests (RFC 9126 §6;
/// `require_par`, `[par] require`) may only come with a pushed `request_uri`.
fn check_pushed_if_required(
    settings: &Settings,
    endpoint: Endpoint,
    transport: Transport,
    client: &Client,
) -> Result<(), OAuthError> {
    if endpoint == Endpoint::Authorize
        && transport != Transport::Pushed
        && settings.par_required(client)
    {
        return Err(OAuthError::invalid_request(
            "this client must use pushed authorization requests (RFC 9126 §6)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_names_keep_the_known_ones_in_the_known_order() {
        let trusted = ["state", "x-custom", "client_id", "nonce"]
            .map(String::from)
            .to_vec();
        assert_eq!(known_names(trusted), ["client_id", "nonce", "state"]);
    }
}
