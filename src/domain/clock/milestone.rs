//! Evidence that a milestone happened: it stops the clock of the same kind. What counts
//! as evidence is the kind's `milestone` form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ClockKind;
use crate::domain::ids::BriefingId;
use crate::domain::incident::{NOTE_MAX, parse_since_discovery};
use crate::domain::text;
use crate::error::AppError;
use crate::rule::Rule;
use crate::text_enum;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    pub kind: ClockKind,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// How a response was given (`response` milestones).
    #[serde(default)]
    pub response_type: Option<ResponseType>,
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub spokesperson: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// The last release of a recurring kind (持续发布): no further one is due.
    #[serde(default, rename = "final")]
    pub is_final: bool,
}

text_enum! {
    /// What proves a kind's milestone: a publication (where, with its link), a meeting
    /// held (where, and who spoke), or a response to public concern (how, with its link).
    pub enum MilestoneForm {
        Publication => "publication",
        Meeting => "meeting",
        Response => "response",
        Briefing => "briefing",
    }
}

impl MilestoneForm {
    /// The record a reminder says is still missing.
    pub fn missing_zh(self) -> &'static str {
        match self {
            Self::Publication => "权威信息发布记录（渠道与链接）",
            Self::Meeting => "新闻发布会记录（地点与发言人）",
            Self::Response => "回应记录（回应方式与链接）",
            Self::Briefing => "报送上级单位的舆情快报",
        }
    }
}

text_enum! {
    /// How an office answered public concern (国办发〔2016〕61号: 予以回应): a statement
    /// of its own, a reply on the platform where the concern was raised, or a published
    /// explanation.
    pub enum ResponseType {
        Statement => "statement",
        PlatformReply => "platform_reply",
        Explanation => "explanation",
    }
}

impl ResponseType {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Statement => "发布声明",
            Self::PlatformReply => "在原平台回复",
            Self::Explanation => "发布解读说明",
        }
    }
}

/// What proves the milestone, by its form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Evidence {
    Publication {
        channel: String,
        url: String,
    },
    Meeting {
        venue: String,
        spokesperson: String,
    },
    Response {
        response_type: ResponseType,
        url: String,
    },
    /// A briefing (快报) sent to the parent unit; recorded by submitting it, never posted
    /// as a milestone.
    Briefing {
        briefing_id: BriefingId,
        version: i64,
        to_unit: String,
    },
}

fn required(field: &str, value: Option<&str>, max: usize) -> Result<String, AppError> {
    text::optional(field, value, max)?
        .ok_or_else(|| AppError::invalid(field, Rule::RequiredForMilestone))
}

/// A milestone with its evidence, checked.
pub struct Milestone {
    pub kind: ClockKind,
    pub occurred_at: DateTime<Utc>,
    pub evidence: Evidence,
    pub note: Option<String>,
    /// The last release of a recurring kind.
    pub is_final: bool,
}

impl MilestoneInput {
    /// Checks the evidence for the kind's form (`form`, from the kind's policy) and the
    /// time against the incident's discovery.
    pub fn parse(
        self,
        form: MilestoneForm,
        discovered_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Milestone, AppError> {
        let occurred_at =
            parse_since_discovery("occurred_at", self.occurred_at, discovered_at, now)?;
        let evidence = match form {
            MilestoneForm::Publication => {
                let url = text::optional_url("url", self.url.as_deref())?
                    .ok_or_else(|| AppError::invalid("url", Rule::RequiredForStatement))?;
                Evidence::Publication {
                    channel: required("channel", self.channel.as_deref(), 200)?,
                    url,
                }
            }
            MilestoneForm::Meeting => Evidence::Meeting {
                venue: required("venue", self.venue.as_deref(), 200)?,
                spokesperson: required("spokesperson", self.spokesperson.as_deref(), 100)?,
            },
            MilestoneForm::Response => Evidence::Response {
                response_type: self.response_type.ok_or_else(|| {
                    AppError::invalid("response_type", Rule::RequiredForMilestone)
                })?,
                url: text::optional_url("url", self.url.as_deref())?
                    .ok_or_else(|| AppError::invalid("url", Rule::RequiredForMilestone))?,
            },
            MilestoneForm::Briefing => {
                return Err(AppError::invalid("kind", Rule::SubmittedAsBriefing));
            }
        };
        let note = text::optional("note", self.note.as_deref(), NOTE_MAX)?;
        Ok(Milestone {
            kind: self.kind,
            occurred_at,
            evidence,
            note,
            is_final: self.is_final,
        })
    }
}
