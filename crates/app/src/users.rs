//! Accounts and credentials: registration, login with rate limits, tokens,
//! and the administration the `kassa user` commands do.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use jiff::Timestamp;
use kassa_core::access::{
    TokenCommand, TokenKind, UserCommand, decide_token, decide_user, normalise_email, token_stream, user_stream,
};
use kassa_core::category::DEFAULT_CATEGORIES;
use kassa_core::{BookId, CategoryId, CategoryName, Command, Owner, UserId};
use kassa_store::Store;
use kassa_store::access::UserRow;
use sha2::{Digest, Sha256};

use super::{Actor, App, AppError, AppResult, PasswordCost, Registration, new_id};

/// A new login token: the secret is returned once and only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: Timestamp,
}

fn argon2(cost: PasswordCost) -> AppResult<Argon2<'static>> {
    let params =
        Params::new(cost.memory_kib, cost.iterations, 1, None).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_password(cost: PasswordCost, password: &str) -> AppResult<String> {
    let hash = argon2(cost)?.hash_password(password.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(hash.to_string())
}

/// Argon2's own comparison is constant-time; the cost parameters are read
/// from the stored hash, so old hashes verify after the default changes.
pub(crate) fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

pub fn token_hash(secret: &str) -> String {
    hex::encode(secret_hash(secret))
}

fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn random_secret() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    crate::clock::random_bytes(&mut bytes).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(format!("kassa_{}", hex::encode(bytes)))
}

impl App {
    /// Creates a user with a personal book. The CLI's `user add`, the first
    /// run and registration all come here.
    pub fn add_user(&self, actor: &str, email: &str, password: &str, platform_admin: bool) -> AppResult<UserRow> {
        let email = normalise_email(email)?;
        if self.store.user_by_email(&email)?.is_some() {
            return Err(AppError::Conflict(format!("a user with email {email} already exists")));
        }
        let password_hash = self.new_password_hash("password", password)?;
        let user_id = UserId(new_id());
        let cmd = UserCommand::Register { user_id, email: email.clone(), password_hash, platform_admin };
        self.write_access(&user_stream(user_id), actor, &|h| Ok(decide_user(h, &cmd)?))?;
        open_book(self.store.as_ref(), actor, &email, Owner::User(user_id))?;
        self.store.user(user_id)?.ok_or_else(|| AppError::Internal("user vanished".into()))
    }

    /// The password policy, the one way to a new password hash: every path
    /// that sets a password (registration, `kassa user add`, a reset, the
    /// settings page's change) comes here, so none can skip the minimum.
    /// The minimum is the configured one, and never below one character:
    /// an empty password is refused whatever the configuration says.
    /// `field` names the input in the error.
    pub(crate) fn new_password_hash(&self, field: &str, password: &str) -> AppResult<String> {
        let min = self.config.min_password_chars.max(1);
        if password.chars().count() < min {
            return Err(AppError::invalid(field, format!("must be at least {min} characters")));
        }
        hash_password(self.config.password_cost, password)
    }

    /// Self-service registration under the configured policy. The very first
    /// user of a server may always register and becomes its platform admin.
    pub fn register(&self, email: &str, password: &str, invite: Option<&str>) -> AppResult<UserRow> {
        if self.store.users()?.is_empty() {
            return self.add_user("first-run", email, password, true);
        }
        match self.config.registration {
            Registration::Closed => Err(AppError::RegistrationClosed("closed")),
            Registration::Open => self.add_user("register", email, password, false),
            Registration::Invite => {
                let code = invite.ok_or(AppError::RegistrationClosed("by invitation only"))?;
                let row = self.store.token_by_hash(&token_hash(code))?;
                let valid =
                    row.filter(|t| t.kind == TokenKind::Invite && !t.revoked && t.expires_at > self.clock.now());
                let Some(t) = valid else { return Err(AppError::invalid("invite", "unknown or used invitation")) };
                let user = self.add_user("register", email, password, false)?;
                self.write_access(&token_stream(t.token_id), &format!("user:{}", user.id), &|h| {
                    Ok(decide_token(h, &TokenCommand::Revoke)?)
                })?;
                Ok(user)
            }
        }
    }

    /// Exchanges email and password for a token. Failures are counted per
    /// account and per client address; over either limit the answer is 429
    /// whatever the password, so guessing gains nothing.
    pub fn login(&self, email: &str, password: &str, client: &str) -> AppResult<IssuedToken> {
        let email_key = format!("acct:{}", email.trim().to_lowercase());
        if let Some(retry_after) = self.count(&format!("ip:{client}"), self.config.login_attempts_per_ip)? {
            return Err(AppError::RateLimited { retry_after });
        }
        if let Some(retry_after) = self.is_limited(&email_key, self.config.login_failures_per_account)? {
            return Err(AppError::RateLimited { retry_after });
        }
        let user = normalise_email(email).ok().map(|e| self.store.user_by_email(&e)).transpose()?.flatten();
        // Without a user, verify against a fixed hash anyway: the answer takes
        // as long for an unknown email as for a wrong password.
        let dummy = dummy_hash(self.config.password_cost);
        let hash = user.as_ref().map_or(dummy.as_str(), |u| u.password_hash.as_str());
        let ok = verify_password(hash, password);
        match user {
            Some(u) if ok && !u.disabled => {
                self.forget(&email_key)?;
                self.issue(u.id, TokenKind::Session, self.config.token_ttl)
            }
            _ => {
                self.count(&email_key, self.config.login_failures_per_account)?;
                Err(AppError::Unauthorized("invalid email or password".into()))
            }
        }
    }

    pub(crate) fn issue(&self, user: UserId, kind: TokenKind, ttl: std::time::Duration) -> AppResult<IssuedToken> {
        let token = random_secret()?;
        let ttl = jiff::SignedDuration::try_from(ttl).map_err(|e| AppError::Internal(e.to_string()))?;
        let expires_at = self
            .clock
            .now()
            .checked_add(ttl)
            .map_err(|e| AppError::Internal(e.to_string()))?
            .round(jiff::Unit::Second)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let token_id = new_id();
        let cmd = TokenCommand::Issue { token_id, user_id: user, kind, token_hash: token_hash(&token), expires_at };
        self.write_access(&token_stream(token_id), &format!("user:{user}"), &|h| Ok(decide_token(h, &cmd)?))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The caller a token belongs to, or 401. Remembered briefly (see `cache`).
    pub fn authenticate(&self, secret: &str) -> AppResult<Actor> {
        let hash = secret_hash(secret);
        let (actor, expires_at) = self.cache.token(hash, || {
            let t = self.store.token_by_hash(&hex::encode(hash))?.ok_or_else(unauthorized)?;
            if t.revoked || t.user_disabled || t.kind != TokenKind::Session {
                return Err(unauthorized());
            }
            Ok((
                Actor { user_id: t.user_id, platform_admin: t.platform_admin, token_id: Some(t.token_id) },
                t.expires_at,
            ))
        })?;
        unexpired(actor, expires_at, self.clock.now())
    }

    /// `authenticate` answered from the cache alone, or `None` when it would
    /// have to ask the store: a caller on an async thread then need not hop
    /// to a blocking one for a token seen moments ago.
    pub fn authenticate_remembered(&self, secret: &str) -> Option<AppResult<Actor>> {
        let (actor, expires_at) = self.cache.remembered_token(secret_hash(secret))?;
        Some(unexpired(actor, expires_at, self.clock.now()))
    }

    pub fn logout(&self, actor: &Actor) -> AppResult<()> {
        if let Some(id) = actor.token_id {
            self.write_access(&token_stream(id), &actor.tag(), &|h| Ok(decide_token(h, &TokenCommand::Revoke)?))?;
        }
        Ok(())
    }

    /// An invitation code for the `invite` registration policy (platform admins).
    pub fn invite(&self, actor: &Actor) -> AppResult<IssuedToken> {
        if !actor.platform_admin {
            return Err(AppError::Forbidden("only a platform admin can invite".into()));
        }
        self.issue(actor.user_id, TokenKind::Invite, std::time::Duration::from_secs(7 * 24 * 3600))
    }

    pub fn me(&self, actor: &Actor) -> AppResult<UserRow> {
        self.store.user(actor.user_id)?.ok_or_else(|| AppError::NotFound("user".into()))
    }

    pub fn list_users(&self) -> AppResult<Vec<UserRow>> {
        Ok(self.store.users()?)
    }

    fn user_named(&self, email: &str) -> AppResult<UserRow> {
        let email = normalise_email(email)?;
        self.store.user_by_email(&email)?.ok_or_else(|| AppError::NotFound(format!("user {email}")))
    }

    /// A disabled user can no longer log in, and their tokens stop working.
    pub fn disable_user(&self, actor: &str, email: &str) -> AppResult<UserRow> {
        let u = self.user_named(email)?;
        self.write_access(&user_stream(u.id), actor, &|h| Ok(decide_user(h, &UserCommand::Disable)?))?;
        self.user_named(email)
    }

    /// A new password ends every session and invitation of the user: whoever
    /// knew the old one may hold a token. The password changes first, so no
    /// new token can be had with the old one while the others are revoked.
    pub fn reset_password(&self, actor: &str, email: &str, password: &str) -> AppResult<UserRow> {
        let u = self.user_named(email)?;
        let cmd = UserCommand::ChangePassword { password_hash: self.new_password_hash("password", password)? };
        self.write_access(&user_stream(u.id), actor, &|h| Ok(decide_user(h, &cmd)?))?;
        for t in self.store.user_tokens(u.id)?.into_iter().filter(|t| !t.revoked) {
            self.write_access(&token_stream(t.token_id), actor, &|h| Ok(decide_token(h, &TokenCommand::Revoke)?))?;
        }
        self.user_named(email)
    }
}

/// An Argon2id hash of a random password nobody knows, made once.
fn dummy_hash(cost: PasswordCost) -> &'static String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| random_secret().and_then(|s| hash_password(cost, &s)).unwrap_or_default())
}

fn unauthorized() -> AppError {
    AppError::Unauthorized("missing, expired or revoked token".into())
}

fn unexpired(actor: Actor, expires_at: Timestamp, now: Timestamp) -> AppResult<Actor> {
    if expires_at <= now {
        return Err(unauthorized());
    }
    Ok(actor)
}

/// Opens a book with the default categories: a user's personal book, an
/// organisation's, or `kassa init`'s local one.
pub fn open_book(store: &dyn Store, actor: &str, name: &str, owner: Owner) -> AppResult<BookId> {
    let book = BookId(new_id());
    let mut cmds = vec![Command::OpenBook { book_id: book, name: name.trim().to_string(), owner }];
    for (name, section) in DEFAULT_CATEGORIES {
        let name = CategoryName::parse(name).map_err(|e| AppError::Internal(e.to_string()))?;
        cmds.push(Command::AddCategory { category_id: CategoryId(new_id()), name, section: *section });
    }
    store.execute(book, actor, &cmds)?;
    Ok(book)
}
