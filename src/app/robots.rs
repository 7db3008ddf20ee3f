//! Units' group robots: admins add them and switch them off or on within their scope;
//! everyone in scope may list them (masked).

use super::{App, Once};
use crate::domain::access::Actor;
use crate::domain::ids::RobotId;
use crate::domain::robot::{NewRobot, Robot};
use crate::error::AppError;
use crate::store::{robots, units};

impl App {
    /// Robots of the units in the actor's scope.
    pub async fn robots(&self, actor: &Actor) -> Result<Vec<Robot>, AppError> {
        let scope = actor.scope.as_ref().map(|s| s.path.clone());
        self.read(move |conn| robots::list(conn, scope.as_deref()))
            .await
    }

    /// Adds a robot to a unit in scope; none when this form was posted before.
    pub async fn add_robot(
        &self,
        actor: &Actor,
        new: NewRobot,
        once: Once,
    ) -> Result<Option<Robot>, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| {
            actor.require_admin()?;
            let unit = units::find_active(conn, "unit_code", &new.unit_code)?;
            actor.require_covers(&unit.path, "unit")?;
            if !once.first(conn, &actor.id, now)? {
                return Ok(None);
            }
            robots::insert(conn, new, now).map(Some)
        })
        .await
    }

    /// Switches a robot in scope off (its waiting messages are cancelled when due) or on.
    pub async fn set_robot_active(
        &self,
        actor: &Actor,
        id: RobotId,
        active: bool,
    ) -> Result<Robot, AppError> {
        let (actor, now) = (actor.clone(), self.now());
        self.write(move |conn| {
            actor.require_admin()?;
            let (_, path) = robots::find(conn, &id)?;
            actor.require_covers(&path, "robot")?;
            robots::set_active(conn, &id, active, now)?;
            Ok(robots::find(conn, &id)?.0)
        })
        .await
    }
}
