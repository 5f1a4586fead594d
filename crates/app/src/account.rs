//! A person's own credentials, as the settings page changes them: their
//! tokens and their password. A web session and an API token are the same
//! kind of bearer token (`TokenKind::Session`), so one list shows both and
//! revoking either works the same way.

use jiff::Timestamp;
use kassa_core::access::{TokenCommand, TokenKind, UserCommand, decide_token, decide_user, token_stream, user_stream};

use super::users::{IssuedToken, verify_password};
use super::{Actor, App, AppError, AppResult};

/// The longest lifetime an API token may be given, in days.
pub const MAX_TOKEN_DAYS: u32 = 366;

/// One live token of the caller's; its secret was shown once, at issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenView {
    pub id: uuid::Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The token this request came with (revoking it signs this browser out).
    pub current: bool,
}

/// Token ids are UUIDv7, whose first 48 bits are the issue time: the list
/// needs no column of its own for it.
fn issued_at(id: uuid::Uuid) -> Timestamp {
    id.get_timestamp()
        .and_then(|t| {
            let (secs, nanos) = t.to_unix();
            Timestamp::new(i64::try_from(secs).ok()?, i32::try_from(nanos).ok()?).ok()
        })
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

impl App {
    /// The caller's tokens that still work, newest first.
    pub fn tokens(&self, actor: &Actor) -> AppResult<Vec<TokenView>> {
        let now = self.clock.now();
        Ok(self
            .store
            .user_tokens(actor.user_id)?
            .into_iter()
            // The store lists them oldest first (ids are time-ordered).
            .rev()
            .filter(|t| t.kind == TokenKind::Session && !t.revoked && t.expires_at > now)
            .map(|t| TokenView {
                id: t.token_id,
                created_at: issued_at(t.token_id),
                expires_at: t.expires_at,
                current: actor.token_id == Some(t.token_id),
            })
            .collect())
    }

    /// A new API token for the caller, valid for `days` days. The secret is
    /// in the answer and nowhere else.
    pub fn create_token(&self, actor: &Actor, days: u32) -> AppResult<IssuedToken> {
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(AppError::invalid("days", format!("must be between 1 and {MAX_TOKEN_DAYS}")));
        }
        let ttl = std::time::Duration::from_secs(u64::from(days) * 24 * 3600);
        self.issue(actor.user_id, TokenKind::Session, ttl)
    }

    /// Revokes one of the caller's own tokens; anyone else's is "not found".
    pub fn revoke_token(&self, actor: &Actor, id: uuid::Uuid) -> AppResult<()> {
        if !self.store.user_tokens(actor.user_id)?.iter().any(|t| t.token_id == id && t.kind == TokenKind::Session) {
            return Err(AppError::NotFound("token".into()));
        }
        self.write_access(&token_stream(id), &actor.tag(), &|h| Ok(decide_token(h, &TokenCommand::Revoke)?))?;
        Ok(())
    }

    /// Changes the caller's password after checking the current one, then
    /// revokes every other token of theirs: whoever may have learnt the old
    /// password loses what they opened with it. Wrong guesses count against
    /// the same per-account backoff as logins. Returns how many were revoked.
    pub fn change_password(&self, actor: &Actor, current: &str, new: &str) -> AppResult<usize> {
        let user = self.me(actor)?;
        let key = format!("acct:{}", user.email);
        self.take_turn(&key)?;
        if !verify_password(&user.password_hash, current) {
            return Err(AppError::invalid("current_password", "the current password is wrong"));
        }
        self.forget(&key)?;
        let password_hash = self.new_password_hash("new_password", new)?;
        let cmd = UserCommand::ChangePassword { password_hash };
        self.write_access(&user_stream(user.id), &actor.tag(), &|h| Ok(decide_user(h, &cmd)?))?;
        let others: Vec<TokenView> = self.tokens(actor)?.into_iter().filter(|t| !t.current).collect();
        for t in &others {
            self.write_access(&token_stream(t.id), &actor.tag(), &|h| Ok(decide_token(h, &TokenCommand::Revoke)?))?;
        }
        Ok(others.len())
    }
}
