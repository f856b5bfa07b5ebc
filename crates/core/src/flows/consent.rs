//! `POST /interaction/{id}/consent` (SPEC §8): the person's decision, once. `allow` issues
//! the authorization code ([`super::code`]); `deny` delivers `access_denied`; both go to the
//! registered redirect URI through [`Provider::deliver`].

use super::interaction::{InteractionError, page};
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::response::{AuthorizationResponse, Delivery};
use writ_protocol::ErrorCode;

impl Provider {
    /// `POST /interaction/{id}/consent`: the person's decision. Returns the redirect to the
    /// client: a code on `allow`, `access_denied` on `deny`. The interaction is used once.
    pub async fn consent(
        &self,
        id: &str,
        session_cookie: Option<&str>,
        csrf: Option<&str>,
        decision: &str,
    ) -> Result<Delivery, InteractionError> {
        let (at, i) = self.load_interaction(id, session_cookie).await?;
        Self::check_csrf(&i, csrf)?;
        let Some(login) = i.login.clone() else {
            return Err(page(
                ErrorCode::InvalidRequest,
                "sign in before giving consent",
            ));
        };
        let allow = match decision {
            "allow" => true,
            "deny" => false,
            _ => {
                return Err(page(
                    ErrorCode::InvalidRequest,
                    "decision must be allow or deny",
                ));
            }
        };
        // The registration may have changed since `/authorize` (a sealed interaction carries
        // its validated request for up to its lifetime): the client must still exist and the
        // redirect_uri still be one of its, or nothing is sent there.
        let client = self
            .clients
            .get(i.request.client_id())
            .await?
            .filter(|c| c.has_redirect_uri(i.request.redirect_uri()));
        let Some(client) = client else {
            return Err(page(
                ErrorCode::InvalidRequest,
                "the application's registration changed since this sign-in began; start \
                 again from the application",
            ));
        };
        let now = self.clock.now();
        // The sign-in must still hold: the browser session not ended (a sign-out in another
        // tab) and the account not removed (`writ user remove` revokes what exists, so nothing
        // new may be issued to it either).
        let signed_in = self
            .store
            .session_get(&i.session_id, now)
            .await
            .map_err(OAuthError::from)?
            .is_some_and(|s| s.user_id.as_deref() == Some(login.user_id.as_str()));
        let user = self
            .store
            .user_get(&login.user_id)
            .await
            .map_err(OAuthError::from)?;
        if !signed_in || user.is_none() {
            return Err(page(
                ErrorCode::InvalidRequest,
                "this sign-in has ended (signed out, or the account was removed); start again \
                 from the application",
            ));
        }
        // One-time: of two concurrent submissions only one proceeds.
        if !self.answer_interaction(&at, &i, now).await? {
            return Err(page(
                ErrorCode::InvalidRequest,
                "this request was already answered",
            ));
        }
        let target = i.request.redirect_target();
        if !allow {
            let e = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
            return Err(self.end_with(&target, e).await);
        }
        let code = self.issue_code(&client, &i.request, &login, now).await?;
        Ok(self
            .deliver(&target, AuthorizationResponse::Code(&code))
            .await?)
    }
}
