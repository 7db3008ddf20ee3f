//! 发送测试消息: an admin sends a test message to one of a person's contact methods or to a
//! unit's robot, now and outside the queue, and reads at once whether it arrived (the
//! vendor's answer when it did not). Nothing is planned or recorded in the queue; the
//! attempt is logged.

use serde::Serialize;

use super::App;
use crate::domain::access::Actor;
use crate::domain::escalation::Channel;
use crate::domain::ids::{ContactId, RobotId};
use crate::error::AppError;
use crate::notify::{SendError, TestTo};
use crate::store::{contacts, robots};

/// What became of a test message.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TestOutcome {
    pub channel: Channel,
    /// Where it went: the address, or the robot's name.
    pub to: String,
    /// The vendor took it.
    pub sent: bool,
    /// Why not, in the vendor's words; whether trying later may help.
    pub error: Option<String>,
    pub transient: bool,
}

impl App {
    fn senders(&self) -> Result<&crate::notify::Channels, AppError> {
        self.channels
            .as_deref()
            .ok_or_else(|| AppError::Unavailable {
                message: "test messages are sent by the server, not the command line",
                cause: None,
            })
    }

    /// A test message to the contact's address on `channel`.
    pub async fn test_contact(
        &self,
        actor: &Actor,
        id: ContactId,
        channel: Channel,
    ) -> Result<TestOutcome, AppError> {
        actor.require_admin()?;
        let (contact, path) = self.read(move |conn| contacts::find(conn, &id)).await?;
        actor.require_covers(&path, "contact")?;
        let address = match channel {
            Channel::Email => Some(contact.email.to_string()),
            Channel::Wecom => contact.wecom_userid.clone(),
            Channel::Sms => contact.mobile.clone(),
            _ => None,
        };
        let Some(address) = address else {
            return Err(AppError::invalid(
                "channel",
                crate::rule::Rule::NoAddressOn(channel.to_string()),
            ));
        };
        let to = TestTo::Person {
            channel,
            name: contact.name.as_ref(),
            address: &address,
        };
        let outcome = self.send_test(to).await?;
        Ok(TestOutcome {
            channel,
            to: address.clone(),
            ..outcome
        })
    }

    /// A test message to a unit's robot.
    pub async fn test_robot(&self, actor: &Actor, id: RobotId) -> Result<TestOutcome, AppError> {
        actor.require_admin()?;
        let found = id.clone();
        let (robot, path, target) = self
            .read(move |conn| {
                let (robot, path) = robots::find(conn, &found)?;
                let target = robots::targets(conn, std::slice::from_ref(&found))?
                    .remove(&found)
                    .map(|(t, _)| t)
                    .ok_or_else(|| AppError::NotFound(format!("robot {found}")))?;
                Ok((robot, path, target))
            })
            .await?;
        actor.require_covers(&path, "robot")?;
        let to = TestTo::Robot {
            target: &target,
            name: &robot.name,
        };
        let outcome = self.send_test(to).await?;
        Ok(TestOutcome {
            channel: robot.kind.channel(),
            to: robot.name.clone(),
            ..outcome
        })
    }

    async fn send_test(&self, to: TestTo<'_>) -> Result<TestOutcome, AppError> {
        let (channel, shown) = match &to {
            TestTo::Person { channel, .. } => (*channel, String::new()),
            TestTo::Robot { target, name } => (target.kind.channel(), (*name).to_owned()),
        };
        let id = uuid::Uuid::new_v4().simple().to_string();
        let message_id = channel.message_id(&id, &self.planning.addressing.message_domain);
        let result = self.senders()?.send_test(to, &message_id, self.now()).await;
        let (sent, error, transient) = match result {
            Ok(()) => (true, None, false),
            Err(SendError::Transient(e)) => (false, Some(e), true),
            Err(SendError::Permanent(e)) => (false, Some(e), false),
        };
        tracing::info!(%channel, message_id, sent, error = error.as_deref().unwrap_or(""), "test message");
        Ok(TestOutcome {
            channel,
            to: shown,
            sent,
            error,
            transient,
        })
    }
}
