//! Organisations and their members (org roles admin / member).

use kassa_core::OrgId;
use kassa_core::access::{OrgCommand, OrgRole, decide_org, org_stream};
use serde::{Deserialize, Serialize};

use super::{Actor, App, AppError, AppResult, new_id};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgView {
    pub id: uuid::Uuid,
    pub name: String,
    /// The caller's role: admin or member.
    pub role: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgMemberView {
    pub user_id: uuid::Uuid,
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddOrgMember {
    pub email: String,
    /// admin or member
    pub role: String,
}

impl App {
    pub fn orgs(&self, actor: &Actor) -> AppResult<Vec<OrgView>> {
        let mine = self.store.org_members(None, Some(actor.user_id))?;
        Ok(self
            .store
            .orgs()?
            .into_iter()
            .filter_map(|o| {
                let m = mine.iter().find(|m| m.org_id == o.id)?;
                Some(OrgView { id: o.id.0, name: o.name, role: m.role.as_str().into() })
            })
            .collect())
    }

    pub fn create_org(&self, actor: &Actor, input: &CreateOrg) -> AppResult<OrgView> {
        let org_id = OrgId(new_id());
        let cmd = OrgCommand::Create { org_id, name: input.name.clone(), creator: actor.user_id };
        self.write_access(&org_stream(org_id), &actor.tag(), &|h| Ok(decide_org(h, &cmd)?))?;
        Ok(OrgView { id: org_id.0, name: input.name.trim().into(), role: OrgRole::Admin.as_str().into() })
    }

    /// Members see the member list; only admins change it. Non-members get 404.
    fn org_role(&self, actor: &Actor, org: OrgId) -> AppResult<OrgRole> {
        self.store
            .org_members(Some(org), Some(actor.user_id))?
            .first()
            .map(|m| m.role)
            .ok_or_else(|| AppError::NotFound("organisation".into()))
    }

    pub fn org_members(&self, actor: &Actor, org: OrgId) -> AppResult<Vec<OrgMemberView>> {
        self.org_role(actor, org)?;
        Ok(self
            .store
            .org_members(Some(org), None)?
            .into_iter()
            .map(|m| OrgMemberView { user_id: m.user_id.0, email: m.email, role: m.role.as_str().into() })
            .collect())
    }

    pub fn add_org_member(&self, actor: &Actor, org: OrgId, input: &AddOrgMember) -> AppResult<Vec<OrgMemberView>> {
        if self.org_role(actor, org)? != OrgRole::Admin {
            return Err(AppError::Forbidden("only an organisation admin changes its members".into()));
        }
        let user = self.grantee(actor, &input.email)?;
        let role = OrgRole::parse(&input.role).ok_or_else(|| AppError::invalid("role", "expected admin or member"))?;
        let cmd = OrgCommand::SetMember { user_id: user.id, role };
        self.write_access(&org_stream(org), &actor.tag(), &|h| Ok(decide_org(h, &cmd)?))?;
        self.org_members(actor, org)
    }

    pub fn remove_org_member(&self, actor: &Actor, org: OrgId, user: uuid::Uuid) -> AppResult<()> {
        if self.org_role(actor, org)? != OrgRole::Admin {
            return Err(AppError::Forbidden("only an organisation admin changes its members".into()));
        }
        let cmd = OrgCommand::RemoveMember { user_id: kassa_core::UserId(user) };
        self.write_access(&org_stream(org), &actor.tag(), &|h| Ok(decide_org(h, &cmd)?))?;
        Ok(())
    }
}
