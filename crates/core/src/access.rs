//! Users, organisations and book roles: the access aggregates. Like the
//! ledger they are `decide` over the events of their own stream — `user-<id>`,
//! `token-<id>`, `org-<id>`, `book-acl-<book>` (ADR 004) — and pure: password
//! and token hashes arrive already made, expiry times arrive as values, and
//! nothing here reads a clock or draws a random number.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::event::Event;
use crate::ids::{AccountId, BookId, OrgId, UserId};

/// A role on one book. `Spender` is tied to one account of the book: its
/// holder records and sees that account's transactions and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookRole {
    Spender,
    Viewer,
    Editor,
    Owner,
}

impl BookRole {
    pub fn as_str(&self) -> &'static str {
        match self {
            BookRole::Spender => "spender",
            BookRole::Viewer => "viewer",
            BookRole::Editor => "editor",
            BookRole::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<BookRole> {
        [BookRole::Spender, BookRole::Viewer, BookRole::Editor, BookRole::Owner].into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    Member,
    Admin,
}

impl OrgRole {
    pub fn as_str(&self) -> &'static str {
        match self {
            OrgRole::Member => "member",
            OrgRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<OrgRole> {
        [OrgRole::Member, OrgRole::Admin].into_iter().find(|r| r.as_str() == s)
    }
}

/// Who a book role is granted to: one user, or every member of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Principal {
    User(UserId),
    Organisation(OrgId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A bearer token for the API (also carried by the web session cookie).
    Session,
    /// A one-use code that lets someone register under the `invite` policy.
    Invite,
}

impl TokenKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Invite => "invite",
        }
    }
}

// ---- event payloads ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    pub user_id: UserId,
    /// Lower-cased and trimmed: the login name, unique across the server.
    pub email: String,
    /// Argon2id PHC string; the password itself is never stored.
    pub password_hash: String,
    pub platform_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChanged {
    pub user_id: UserId,
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDisabled {
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIssued {
    pub token_id: uuid::Uuid,
    /// The holder (for an invite: who issued it).
    pub user_id: UserId,
    pub kind: TokenKind,
    /// SHA-256 of the secret, hex: the secret itself is shown once and never stored.
    pub token_hash: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRevoked {
    pub token_id: uuid::Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCreated {
    pub org_id: OrgId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMemberSet {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub role: OrgRole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMemberRemoved {
    pub org_id: OrgId,
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRoleGranted {
    pub book_id: BookId,
    pub principal: Principal,
    pub role: BookRole,
    /// The account a `spender` may use; `None` for the other roles.
    pub account_id: Option<AccountId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRoleRevoked {
    pub book_id: BookId,
    pub principal: Principal,
}

// ---- streams ----

pub fn user_stream(id: UserId) -> String {
    format!("user-{id}")
}
pub fn token_stream(id: uuid::Uuid) -> String {
    format!("token-{id}")
}
pub fn org_stream(id: OrgId) -> String {
    format!("org-{id}")
}
pub fn acl_stream(book: BookId) -> String {
    format!("book-acl-{book}")
}

// ---- commands and decisions ----

/// A command an access aggregate refuses.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccessError {
    #[error("invalid email '{0}'")]
    InvalidEmail(String),
    #[error("the user already exists")]
    UserExists,
    #[error("unknown user")]
    UnknownUser,
    #[error("the user is disabled")]
    UserDisabled,
    #[error("the token already exists")]
    TokenExists,
    #[error("unknown token")]
    UnknownToken,
    #[error("the organisation already exists")]
    OrgExists,
    #[error("unknown organisation")]
    UnknownOrg,
    #[error("invalid name '{0}': must not be empty")]
    EmptyName(String),
    #[error("not a member")]
    NotMember,
    #[error("an organisation keeps at least one admin")]
    LastAdmin,
    #[error("the spender role needs an account_id; other roles take none")]
    SpenderAccount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    Register { user_id: UserId, email: String, password_hash: String, platform_admin: bool },
    ChangePassword { password_hash: String },
    Disable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCommand {
    Issue { token_id: uuid::Uuid, user_id: UserId, kind: TokenKind, token_hash: String, expires_at: Timestamp },
    Revoke,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgCommand {
    /// Creates the organisation with `creator` as its first admin.
    Create {
        org_id: OrgId,
        name: String,
        creator: UserId,
    },
    SetMember {
        user_id: UserId,
        role: OrgRole,
    },
    RemoveMember {
        user_id: UserId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclCommand {
    Grant { principal: Principal, role: BookRole, account_id: Option<AccountId> },
    Revoke { principal: Principal },
}

/// A user as folded from their stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub platform_admin: bool,
    pub disabled: bool,
}

pub fn fold_user(events: &[Event]) -> Option<User> {
    let mut user = None;
    for e in events {
        match e {
            Event::UserRegistered(u) => {
                user = Some(User {
                    id: u.user_id,
                    email: u.email.clone(),
                    password_hash: u.password_hash.clone(),
                    platform_admin: u.platform_admin,
                    disabled: false,
                })
            }
            Event::PasswordChanged(p) => {
                if let Some(u) = user.as_mut() {
                    u.password_hash = p.password_hash.clone();
                }
            }
            Event::UserDisabled(_) => {
                if let Some(u) = user.as_mut() {
                    u.disabled = true;
                }
            }
            _ => {}
        }
    }
    user
}

/// Lower-cases and checks an email address (one `@`, something either side).
pub fn normalise_email(email: &str) -> Result<String, AccessError> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'))
        && !e.chars().any(char::is_whitespace);
    if ok { Ok(e) } else { Err(AccessError::InvalidEmail(email.to_string())) }
}

pub fn decide_user(history: &[Event], cmd: &UserCommand) -> Result<Vec<Event>, AccessError> {
    let user = fold_user(history);
    match (cmd, user) {
        (UserCommand::Register { .. }, Some(_)) => Err(AccessError::UserExists),
        (UserCommand::Register { user_id, email, password_hash, platform_admin }, None) => {
            Ok(vec![Event::UserRegistered(UserRegistered {
                user_id: *user_id,
                email: normalise_email(email)?,
                password_hash: password_hash.clone(),
                platform_admin: *platform_admin,
            })])
        }
        (_, None) => Err(AccessError::UnknownUser),
        (UserCommand::ChangePassword { password_hash }, Some(u)) => {
            Ok(vec![Event::PasswordChanged(PasswordChanged { user_id: u.id, password_hash: password_hash.clone() })])
        }
        (UserCommand::Disable, Some(u)) if u.disabled => Ok(vec![]),
        (UserCommand::Disable, Some(u)) => Ok(vec![Event::UserDisabled(UserDisabled { user_id: u.id })]),
    }
}

pub fn decide_token(history: &[Event], cmd: &TokenCommand) -> Result<Vec<Event>, AccessError> {
    let issued = history.iter().find_map(|e| match e {
        Event::TokenIssued(t) => Some(t.token_id),
        _ => None,
    });
    let revoked = history.iter().any(|e| matches!(e, Event::TokenRevoked(_)));
    match (cmd, issued) {
        (TokenCommand::Issue { .. }, Some(_)) => Err(AccessError::TokenExists),
        (TokenCommand::Issue { token_id, user_id, kind, token_hash, expires_at }, None) => {
            Ok(vec![Event::TokenIssued(TokenIssued {
                token_id: *token_id,
                user_id: *user_id,
                kind: *kind,
                token_hash: token_hash.clone(),
                expires_at: *expires_at,
            })])
        }
        (TokenCommand::Revoke, None) => Err(AccessError::UnknownToken),
        (TokenCommand::Revoke, Some(_)) if revoked => Ok(vec![]),
        (TokenCommand::Revoke, Some(token_id)) => Ok(vec![Event::TokenRevoked(TokenRevoked { token_id })]),
    }
}

/// An organisation as folded from its stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Org {
    pub id: Option<OrgId>,
    pub name: String,
    pub members: BTreeMap<UserId, OrgRole>,
}

pub fn fold_org(events: &[Event]) -> Org {
    let mut org = Org::default();
    for e in events {
        match e {
            Event::OrgCreated(o) => {
                org.id = Some(o.org_id);
                org.name = o.name.clone();
            }
            Event::OrgMemberSet(m) => {
                org.members.insert(m.user_id, m.role);
            }
            Event::OrgMemberRemoved(m) => {
                org.members.remove(&m.user_id);
            }
            _ => {}
        }
    }
    org
}

pub fn decide_org(history: &[Event], cmd: &OrgCommand) -> Result<Vec<Event>, AccessError> {
    let org = fold_org(history);
    match (cmd, org.id) {
        (OrgCommand::Create { .. }, Some(_)) => Err(AccessError::OrgExists),
        (OrgCommand::Create { org_id, name, creator }, None) => {
            let name = name.trim();
            if name.is_empty() {
                return Err(AccessError::EmptyName(name.to_string()));
            }
            Ok(vec![
                Event::OrgCreated(OrgCreated { org_id: *org_id, name: name.to_string() }),
                Event::OrgMemberSet(OrgMemberSet { org_id: *org_id, user_id: *creator, role: OrgRole::Admin }),
            ])
        }
        (_, None) => Err(AccessError::UnknownOrg),
        (OrgCommand::SetMember { user_id, role }, Some(org_id)) => {
            if org.members.get(user_id) == Some(role) {
                return Ok(vec![]);
            }
            if *role == OrgRole::Member && is_last_admin(&org, *user_id) {
                return Err(AccessError::LastAdmin);
            }
            Ok(vec![Event::OrgMemberSet(OrgMemberSet { org_id, user_id: *user_id, role: *role })])
        }
        (OrgCommand::RemoveMember { user_id }, Some(org_id)) => {
            if !org.members.contains_key(user_id) {
                return Err(AccessError::NotMember);
            }
            if is_last_admin(&org, *user_id) {
                return Err(AccessError::LastAdmin);
            }
            Ok(vec![Event::OrgMemberRemoved(OrgMemberRemoved { org_id, user_id: *user_id })])
        }
    }
}

fn is_last_admin(org: &Org, user: UserId) -> bool {
    org.members.get(&user) == Some(&OrgRole::Admin)
        && org.members.values().filter(|r| **r == OrgRole::Admin).count() == 1
}

/// The grants of one book, as folded from its ACL stream.
pub fn fold_acl(events: &[Event]) -> BTreeMap<Principal, (BookRole, Option<AccountId>)> {
    let mut grants = BTreeMap::new();
    for e in events {
        match e {
            Event::BookRoleGranted(g) => {
                grants.insert(g.principal, (g.role, g.account_id));
            }
            Event::BookRoleRevoked(r) => {
                grants.remove(&r.principal);
            }
            _ => {}
        }
    }
    grants
}

/// Grants replace an earlier grant to the same principal. Whether the book
/// and the account exist is checked by the caller against the ledger.
pub fn decide_acl(book: BookId, history: &[Event], cmd: &AclCommand) -> Result<Vec<Event>, AccessError> {
    let grants = fold_acl(history);
    match cmd {
        AclCommand::Grant { principal, role, account_id } => {
            if (*role == BookRole::Spender) != account_id.is_some() {
                return Err(AccessError::SpenderAccount);
            }
            if grants.get(principal) == Some(&(*role, *account_id)) {
                return Ok(vec![]);
            }
            Ok(vec![Event::BookRoleGranted(BookRoleGranted {
                book_id: book,
                principal: *principal,
                role: *role,
                account_id: *account_id,
            })])
        }
        AclCommand::Revoke { principal } => {
            if !grants.contains_key(principal) {
                return Err(AccessError::NotMember);
            }
            Ok(vec![Event::BookRoleRevoked(BookRoleRevoked { book_id: book, principal: *principal })])
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn uid(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    #[test]
    fn a_user_registers_once_and_can_be_disabled_once() {
        let reg = UserCommand::Register {
            user_id: uid(1),
            email: " Ann@Example.ORG ".into(),
            password_hash: "$argon2id$x".into(),
            platform_admin: false,
        };
        let given = decide_user(&[], &reg).unwrap();
        assert!(matches!(&given[0], Event::UserRegistered(u) if u.email == "ann@example.org"));
        assert_eq!(decide_user(&given, &reg), Err(AccessError::UserExists));
        let disabled = decide_user(&given, &UserCommand::Disable).unwrap();
        assert_eq!(disabled.len(), 1);
        let all: Vec<Event> = given.iter().chain(&disabled).cloned().collect();
        assert_eq!(decide_user(&all, &UserCommand::Disable).unwrap(), vec![]);
        assert!(fold_user(&all).unwrap().disabled);
        assert_eq!(decide_user(&[], &UserCommand::Disable), Err(AccessError::UnknownUser));
    }

    #[test]
    fn emails_are_checked() {
        for bad in ["", "a", "a@b", "@b.c", "a b@c.d", "a@b@c.d"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
        assert_eq!(normalise_email("X@Y.Z").unwrap(), "x@y.z");
    }

    #[test]
    fn an_organisation_keeps_an_admin() {
        let org = OrgId(Uuid::from_u128(9));
        let given = decide_org(&[], &OrgCommand::Create { org_id: org, name: "Acme".into(), creator: uid(1) }).unwrap();
        assert_eq!(decide_org(&given, &OrgCommand::RemoveMember { user_id: uid(1) }), Err(AccessError::LastAdmin));
        assert_eq!(
            decide_org(&given, &OrgCommand::SetMember { user_id: uid(1), role: OrgRole::Member }),
            Err(AccessError::LastAdmin)
        );
        let add = decide_org(&given, &OrgCommand::SetMember { user_id: uid(2), role: OrgRole::Admin }).unwrap();
        let all: Vec<Event> = given.into_iter().chain(add).collect();
        assert_eq!(decide_org(&all, &OrgCommand::RemoveMember { user_id: uid(1) }).unwrap().len(), 1);
        assert_eq!(decide_org(&all, &OrgCommand::RemoveMember { user_id: uid(3) }), Err(AccessError::NotMember));
    }

    #[test]
    fn a_spender_grant_names_an_account() {
        let book = BookId(Uuid::from_u128(5));
        let p = Principal::User(uid(1));
        let spend = AclCommand::Grant { principal: p, role: BookRole::Spender, account_id: None };
        assert_eq!(decide_acl(book, &[], &spend), Err(AccessError::SpenderAccount));
        let view = AclCommand::Grant { principal: p, role: BookRole::Viewer, account_id: None };
        let given = decide_acl(book, &[], &view).unwrap();
        assert_eq!(decide_acl(book, &given, &view).unwrap(), vec![]);
        assert_eq!(fold_acl(&given).get(&p), Some(&(BookRole::Viewer, None)));
        let revoked = decide_acl(book, &given, &AclCommand::Revoke { principal: p }).unwrap();
        let all: Vec<Event> = given.into_iter().chain(revoked).collect();
        assert!(fold_acl(&all).is_empty());
        assert_eq!(decide_acl(book, &all, &AclCommand::Revoke { principal: p }), Err(AccessError::NotMember));
    }

    #[test]
    fn a_token_is_revoked_once() {
        let t = Uuid::from_u128(3);
        let issue = TokenCommand::Issue {
            token_id: t,
            user_id: uid(1),
            kind: TokenKind::Session,
            token_hash: "ab".into(),
            expires_at: Timestamp::UNIX_EPOCH,
        };
        let given = decide_token(&[], &issue).unwrap();
        let revoked = decide_token(&given, &TokenCommand::Revoke).unwrap();
        let all: Vec<Event> = given.into_iter().chain(revoked).collect();
        assert_eq!(decide_token(&all, &TokenCommand::Revoke).unwrap(), vec![]);
        assert_eq!(decide_token(&[], &TokenCommand::Revoke), Err(AccessError::UnknownToken));
    }
}
