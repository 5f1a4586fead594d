//! Accounts and credentials: registration, login with rate limits, tokens,
//! and the administration the `kassa user` commands do.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use jiff::Timestamp;
use kassa_core::access::{
    AclCommand, BookRole, Principal, TokenCommand, TokenKind, UserCommand, acl_stream, decide_acl, decide_token,
    decide_user, normalise_email, token_stream, user_stream,
};
use kassa_core::category::DEFAULT_CATEGORIES;
use kassa_core::{BookId, CategoryId, CategoryName, Command, Owner, UserId};
use kassa_store::access::{StreamWrite, UserExpect, UserRow};
use kassa_store::{Store, StoreError};
use sha2::{Digest, Sha256};

use super::{Actor, App, AppError, AppResult, PasswordCost, Registration, new_id};

/// How a new user comes in: as a platform admin or not, and with which
/// invitation (a token id), used up in the same transaction.
struct Admission {
    platform_admin: bool,
    invite: Option<uuid::Uuid>,
}

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
    /// Creates a user with a personal book (the first user takes over the
    /// books `kassa init` opened instead). The CLI's `user add`, the demo
    /// and the tests come here; registration goes through `register`.
    pub fn add_user(&self, actor: &str, email: &str, password: &str, platform_admin: bool) -> AppResult<UserRow> {
        self.create_user(actor, email, password, &|_| Ok(Admission { platform_admin, invite: None }))
    }

    /// Self-service registration under the configured policy. The very first
    /// user of a server may always register and becomes its platform admin.
    /// Who is first and whether an invitation is unused are decided again
    /// inside the writing transaction, so parallel requests — to one process
    /// or to several — make one admin and use an invitation once.
    pub fn register(&self, email: &str, password: &str, invite: Option<&str>) -> AppResult<UserRow> {
        // The code is looked up once; whether it is still unused is the
        // store's to check when the user is written.
        let invitation = match (self.config.registration, invite) {
            (Registration::Invite, Some(code)) => Some(self.store.token_by_hash(&token_hash(code))?),
            _ => None,
        };
        self.create_user("register", email, password, &|first| {
            if first {
                return Ok(Admission { platform_admin: true, invite: None });
            }
            match self.config.registration {
                Registration::Closed => Err(AppError::RegistrationClosed("closed")),
                Registration::Open => Ok(Admission { platform_admin: false, invite: None }),
                Registration::Invite => {
                    let Some(row) = &invitation else { return Err(AppError::RegistrationClosed("by invitation only")) };
                    let valid = row
                        .as_ref()
                        .filter(|t| t.kind == TokenKind::Invite && !t.revoked && t.expires_at > self.clock.now());
                    let Some(t) = valid else { return Err(AppError::invalid("invite", "unknown or used invitation")) };
                    Ok(Admission { platform_admin: false, invite: Some(t.token_id) })
                }
            }
        })
    }

    /// Writes a new user once `admit` — told whether there is no user yet —
    /// says how they come in. The store checks again, under its lock, what
    /// the decision rested on; when another creation got there first the
    /// decision is made again on what is there now.
    fn create_user(
        &self,
        actor: &str,
        email: &str,
        password: &str,
        admit: &dyn Fn(bool) -> AppResult<Admission>,
    ) -> AppResult<UserRow> {
        let email = normalise_email(email)?;
        // Hashed once admitted: a refused registration costs no hash.
        let mut hashed: Option<String> = None;
        // Each lost race means another user now exists: a few rounds settle it.
        for _ in 0..4 {
            if self.store.user_by_email(&email)?.is_some() {
                return Err(AppError::Conflict(format!("a user with email {email} already exists")));
            }
            let first = self.store.users()?.is_empty();
            let Admission { platform_admin, invite } = admit(first)?;
            let password_hash = match &hashed {
                Some(h) => h.clone(),
                None => hashed.insert(self.new_password_hash("password", password)?).clone(),
            };
            let user_id = UserId(new_id());
            let register = UserCommand::Register { user_id, email: email.clone(), password_hash, platform_admin };
            let (user, token) = (user_stream(user_id), invite.map(token_stream));
            let new_user = |h: &[kassa_core::Event]| Ok(decide_user(h, &register)?);
            let use_up = |h: &[kassa_core::Event]| Ok(decide_token(h, &TokenCommand::Revoke)?);
            let mut writes: Vec<StreamWrite<'_>> = vec![(&user, &new_user)];
            if let Some(token) = &token {
                writes.push((token, &use_up));
            }
            match self.write_new_user(actor, &UserExpect { first, invite }, &writes) {
                Err(StoreError::Stale(_)) => continue,
                written => written?,
            };
            // The first user takes over the books `kassa init` opened before
            // anyone had an account, so the server shows them; they are the
            // user's own books then, and no other is opened.
            let local: Vec<BookId> = if first {
                self.store.books()?.into_iter().filter(|b| b.owner == Owner::Local).map(|b| b.id).collect()
            } else {
                vec![]
            };
            for book in &local {
                let cmd =
                    AclCommand::Grant { principal: Principal::User(user_id), role: BookRole::Owner, account_id: None };
                self.write_access(&acl_stream(*book), actor, &|h| Ok(decide_acl(*book, h, &cmd)?))?;
            }
            if local.is_empty() {
                open_book(self.store.as_ref(), actor, &email, Owner::User(user_id))?;
            }
            self.cache.invalidate();
            return self.store.user(user_id)?.ok_or_else(|| AppError::Internal("user vanished".into()));
        }
        Err(AppError::Conflict("users are being created too fast; try again".into()))
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

    /// Exchanges email and password for a token. Each attempt counts
    /// against the client address until it succeeds, so only failures use
    /// up the address's window, and takes a turn on the account's backoff,
    /// so guesses at one account slow down (doubling waits, capped) without
    /// locking its owner out for long. A refused turn is 429 whatever the
    /// password, so guessing gains nothing. Unknown emails, wrong passwords
    /// and disabled users get one answer, after one password hash each.
    pub fn login(&self, email: &str, password: &str, client: &str) -> AppResult<IssuedToken> {
        let ip_key = format!("ip:{client}");
        let email_key = format!("acct:{}", email.trim().to_lowercase());
        if let Some(retry_after) = self.count(&ip_key, self.config.login_attempts_per_ip)? {
            return Err(AppError::RateLimited { retry_after });
        }
        self.take_turn(&email_key)?;
        let user = normalise_email(email).ok().map(|e| self.store.user_by_email(&e)).transpose()?.flatten();
        // Without a user, verify against a fixed hash anyway: the answer takes
        // as long for an unknown email as for a wrong password.
        let dummy = dummy_hash(self.config.password_cost);
        let hash = user.as_ref().map_or(dummy.as_str(), |u| u.password_hash.as_str());
        let ok = verify_password(hash, password);
        match user {
            Some(u) if ok && !u.disabled => {
                self.forget(&email_key)?;
                self.store.refund_attempt(&ip_key)?;
                self.issue(u.id, TokenKind::Session, self.config.token_ttl)
            }
            // Counted already, on the address and on the account.
            _ => Err(AppError::Unauthorized("invalid email or password".into())),
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

    /// The user a grant (a book role, an organisation membership) names by
    /// email. A grant needs an account, so its answer tells whether an
    /// email has one; misses are counted per granting user, and past
    /// `GRANT_MISSES` in the login window every grant by email is refused,
    /// found or not (else the answer would still tell them apart): an
    /// insider can check an address, not a list of them.
    pub(crate) fn grantee(&self, actor: &Actor, email: &str) -> AppResult<UserRow> {
        let key = format!("grant-miss:{}", actor.user_id);
        if let Some(a) = self.store.attempts(&key)?
            && a.count >= GRANT_MISSES
            && self.elapsed_since(a.window_start) < self.config.login_window
        {
            return Err(AppError::RateLimited { retry_after: self.retry_after(a.window_start) });
        }
        let found = normalise_email(email).ok().map(|e| self.store.user_by_email(&e)).transpose()?.flatten();
        match found {
            Some(u) => Ok(u),
            None => {
                self.count(&key, GRANT_MISSES)?;
                Err(AppError::invalid("email", "no such user"))
            }
        }
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

/// Grants naming an email without an account, per granting user and login
/// window, before grants by email are refused for the rest of it.
const GRANT_MISSES: u32 = 10;

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
