//! Who receives a step: the active people holding each audience's role in the
//! incident's responsible units (or in their parents, for `parent:` audiences), first
//! responsible unit first, once per person. Two contacts sharing an address are two
//! people; one person holding two audiences' roles is mailed once, as the first.

use super::NotifyRules;
use crate::domain::clock::Audience;
use crate::domain::contact::ContactRole;
use crate::domain::ids::{ContactId, UnitId};

/// A person an escalation goes to, as resolved from the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    pub contact_id: ContactId,
    pub email: String,
    /// Their 企业微信 user id and mobile number, when they have them.
    pub wecom_userid: Option<String>,
    pub mobile: Option<String>,
    /// Their own notification rule; None follows the rule of `reached_as`.
    pub rules: Option<NotifyRules>,
    /// They acknowledged the clock already: no delayed method is planned for them.
    pub acknowledged: bool,
    pub name: String,
    /// What selected this person: a ladder audience (`parent:office_director`) or, for
    /// reports, the role held.
    pub role: String,
    /// The role they are reached in.
    pub reached_as: ContactRole,
    pub unit_code: String,
}

/// A responsible unit of the incident and its parent (ids), first responsible first.
pub struct Responsible {
    pub unit_id: UnitId,
    pub parent_id: Option<UnitId>,
}

/// An active contact of one of those units (or their parents).
pub struct Person {
    pub contact_id: ContactId,
    pub unit_id: UnitId,
    pub unit_code: String,
    pub email: String,
    pub wecom_userid: Option<String>,
    pub mobile: Option<String>,
    pub rules: Option<NotifyRules>,
    pub name: String,
    pub roles: Vec<ContactRole>,
}

/// The recipients of a step that goes to `audiences`, in audience order.
pub fn resolve(
    audiences: &[Audience],
    responsible: &[Responsible],
    people: &[Person],
) -> Vec<Recipient> {
    let mut out: Vec<Recipient> = Vec::new();
    for audience in audiences {
        for unit in responsible {
            let target = if audience.of_parent {
                unit.parent_id.as_ref()
            } else {
                Some(&unit.unit_id)
            };
            let Some(target) = target else { continue };
            for person in people {
                if person.unit_id == *target
                    && person.roles.contains(&audience.role)
                    && !out.iter().any(|r| r.contact_id == person.contact_id)
                {
                    out.push(Recipient {
                        contact_id: person.contact_id.clone(),
                        email: person.email.clone(),
                        wecom_userid: person.wecom_userid.clone(),
                        mobile: person.mobile.clone(),
                        rules: person.rules.clone(),
                        acknowledged: false,
                        name: person.name.clone(),
                        role: String::from(*audience),
                        reached_as: audience.role,
                        unit_code: person.unit_code.clone(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, unit: &str, email: &str, roles: &[ContactRole]) -> Person {
        Person {
            contact_id: id.into(),
            unit_id: unit.into(),
            unit_code: format!("code-{unit}"),
            email: email.into(),
            wecom_userid: None,
            mobile: None,
            rules: None,
            name: format!("name-{id}"),
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn audiences_reach_their_units_and_parents_once_per_person() {
        use ContactRole::*;
        let responsible = [
            Responsible {
                unit_id: "district".into(),
                parent_id: Some("city".into()),
            },
            Responsible {
                unit_id: "other".into(),
                parent_id: Some("city".into()),
            },
        ];
        let people = [
            person("a", "district", "a@x", &[PrincipalLeader, DeputyLeader]),
            // Same address, another person: both are mailed.
            person("b", "district", "a@x", &[PrincipalLeader]),
            person("c", "city", "c@x", &[OfficeDirector]),
            person("d", "other", "d@x", &[PrincipalLeader]),
            person("e", "elsewhere", "e@x", &[PrincipalLeader]),
        ];
        let audiences = [
            Audience {
                role: PrincipalLeader,
                of_parent: false,
            },
            Audience {
                role: DeputyLeader,
                of_parent: false,
            },
            Audience {
                role: OfficeDirector,
                of_parent: true,
            },
        ];
        let got = resolve(&audiences, &responsible, &people);
        let who: Vec<(&str, &str)> = got
            .iter()
            .map(|r| (r.contact_id.as_str(), r.role.as_str()))
            .collect();
        assert_eq!(
            who,
            [
                ("a", "principal_leader"),
                ("b", "principal_leader"),
                ("d", "principal_leader"),
                ("c", "parent:office_director"),
            ]
        );
    }
}
