//! The flows of the server, one file each, in the order a request meets them. Each adds
//! methods to [`Provider`](crate::provider::Provider); no flow file imports one that imports
//! it.
//!
//! | file | owns |
//! |------|------|
//! | [`authorize`] | `/authorize`: run the pipeline, bind the pending interaction to the browser, seal it |
//! | [`par`] | `/par`: authenticate the client, run the pipeline for [`Endpoint::Par`](crate::authorize::Endpoint), store the pushed request |
//! | [`interaction`] | the pending interaction: where it is kept, loading it for its browser, answering it once |
//! | [`login`] | `/interaction/{id}/login`: the password check, the attempt limit, the session rotation |
//! | [`consent`] | `/interaction/{id}/consent`: the person's decision, the code or `access_denied` |
//! | [`code`] | authorization codes: issued at consent, redeemed once at `/token` (RFC 6749 §4.1.3) |
//! | [`refresh`] | the `refresh_token` grant (RFC 6749 §6) |
//! | [`client_credentials`] | the `client_credentials` grant (RFC 6749 §4.4): a client acting for itself |
//! | [`grant`] | what codes and refresh tokens share: consume once, or revoke the grant on reuse |
//! | [`issue`] | the tokens a grant issues: access token, ID token, refresh token |
//! | [`token`] | `/token`: client authentication, the DPoP proof, and the grant type |
//! | [`dpop`] | the DPoP proof of a request, checked for its endpoint; the server nonce (RFC 9449) |
//! | [`userinfo`] | `/userinfo` and access-token verification (OpenID Connect Core §5.3) |
//! | [`introspect`] | `/introspect`: whether a token is active and what it stands for (RFC 7662, RFC 9701) |
//! | [`revoke`] | `/revoke`: a refresh token revokes its grant, an access token itself (RFC 7009) |
//! | [`logout`] | `/logout`: RP-Initiated Logout 1.0, the end of the browser session |
//! | [`session`] | the browser-session cookie's size and shape |
//! | [`audit`] | the audit record of a refused request object (SPEC §12) |

pub mod audit;
pub mod authorize;
pub mod client_credentials;
pub mod code;
pub mod consent;
pub mod dpop;
pub mod grant;
pub mod interaction;
pub mod introspect;
pub mod issue;
pub mod login;
pub mod logout;
pub mod par;
pub mod refresh;
pub mod revoke;
pub mod session;
pub mod token;
pub mod userinfo;
