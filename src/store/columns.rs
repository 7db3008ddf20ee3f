//! Typed text columns. Enums are stored as their snake_case text, JSON as text, ids as
//! text; rows read them back as the domain's types, so no query turns strings into
//! enums by hand. The impls are what `#[derive(AsExpression, FromSqlRow)]` would write,
//! kept here so the domain types need not know diesel. Generic over the backend, they
//! serve the two-backend connection and each backend's own connection alike.

use std::fmt;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reading and binding a type as a text column: read with `$read` from the text.
macro_rules! text_sql {
    ($t:ty, |$text:ident| $read:expr) => {
        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let $text = String::from_sql(bytes)?;
                $read
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $t
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        // What `#[derive(AsExpression)]` adds: comparing with a nullable column.
        impl<DB: Backend> ToSql<Nullable<Text>, DB> for $t
        where
            Self: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <Self as ToSql<Text, DB>>::to_sql(self, out)
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $t
        where
            Self: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

/// Comparing and writing a type as text: by the expression of its text.
macro_rules! text_expression {
    ($t:ty, $owned:ty, |$v:ident| $owned_text:expr, $borrowed:ty) => {
        impl AsExpression<Text> for $t {
            type Expression = <$owned as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                let $v = self;
                AsExpression::<Text>::as_expression($owned_text)
            }
        }

        impl<'a> AsExpression<Text> for &'a $t {
            type Expression = <$borrowed as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for $t {
            type Expression = <$owned as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                let $v = self;
                AsExpression::<Nullable<Text>>::as_expression($owned_text)
            }
        }

        impl<'a> AsExpression<Nullable<Text>> for &'a $t {
            type Expression = <$borrowed as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }
    };
}

/// Text enums: stored as `as_str()`, read with `FromStr` (an unknown value is an error
/// that names it).
macro_rules! enum_columns {
    ($($t:ty),+ $(,)?) => {
        $(
            text_sql!($t, |text| text.parse::<$t>().map_err(Into::into));
            text_expression!($t, &'static str, |v| v.as_str(), &'static str);
        )+
    };
}

/// Id newtypes: stored as their text.
macro_rules! id_columns {
    ($($t:ty),+ $(,)?) => {
        $(
            text_sql!($t, |text| Ok(<$t>::from(text)));
            text_expression!($t, String, |v| v.into_string(), &'a str);
        )+
    };
}

use crate::domain::access::Role;
use crate::domain::clock::{ClockKind, ClockPhase, StoredState};
use crate::domain::escalation::{Channel, EscalationStatus};
use crate::domain::ids::{
    AccountId, BriefingId, ClockId, ContactId, EscalationId, IncidentId, RobotId, TokenId, UnitId,
};
use crate::domain::incident::{
    Category, EventKind, ReferralAuthority, Severity, SourceChannel, SpecialTopic, Status,
};
use crate::domain::names::{Email, PersonName, TokenName, UnitCode, UnitName};
use crate::domain::robot::RobotKind;
use crate::domain::unit::UnitLevel;

enum_columns!(
    Role,
    ClockPhase,
    StoredState,
    EscalationStatus,
    Channel,
    Category,
    EventKind,
    ReferralAuthority,
    Severity,
    SourceChannel,
    SpecialTopic,
    Status,
    UnitLevel,
    RobotKind,
);

id_columns!(
    IncidentId,
    ClockId,
    EscalationId,
    ContactId,
    AccountId,
    UnitId,
    TokenId,
    BriefingId,
    RobotId,
);

/// Names and codes: only parsed values are written, so they are read back as stored.
macro_rules! name_columns {
    ($($t:ty),+ $(,)?) => {
        $(
            text_sql!($t, |text| Ok(<$t>::stored(text)));
            text_expression!($t, String, |v| v.into_string(), &'a str);
        )+
    };
}

name_columns!(UnitCode, UnitName, PersonName, TokenName, Email);

// Clock kinds are keys from the config: stored and read as written.
text_sql!(ClockKind, |text| Ok(ClockKind::stored(text)));
text_expression!(ClockKind, String, |v| v.into_string(), &'a str);

/// A value kept as JSON text (clock policies, contact roles, publications, timeline
/// changes). It is serialized once, when made (`Json::new`), so writing it cannot fail
/// half-way; reading parses it, and text that no longer parses is an error naming the
/// type.
#[derive(Debug, Clone, PartialEq)]
pub struct Json<T> {
    value: T,
    text: String,
}

impl<T: Serialize> Json<T> {
    pub fn new(value: T) -> Result<Self, crate::error::AppError> {
        let text = serde_json::to_string(&value).map_err(crate::error::AppError::internal)?;
        Ok(Self { value, text })
    }
}

impl<T> Json<T> {
    pub fn get(&self) -> &T {
        &self.value
    }

    pub fn into_inner(self) -> T {
        self.value
    }

    fn as_str(&self) -> &str {
        &self.text
    }
}

impl<T, DB> FromSql<Text, DB> for Json<T>
where
    DB: Backend,
    String: FromSql<Text, DB>,
    T: DeserializeOwned,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        let value = serde_json::from_str(&text)
            .map_err(|e| format!("{} column: {e}", std::any::type_name::<T>()))?;
        Ok(Self { value, text })
    }
}

impl<T: fmt::Debug, DB> ToSql<Text, DB> for Json<T>
where
    DB: Backend,
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        <str as ToSql<Text, DB>>::to_sql(&self.text, out)
    }
}

impl<T, DB> Queryable<Text, DB> for Json<T>
where
    DB: Backend,
    Self: FromSql<Text, DB>,
{
    type Row = Self;

    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

impl<T> AsExpression<Text> for Json<T> {
    type Expression = <String as AsExpression<Text>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Text>::as_expression(self.text)
    }
}

impl<'a, T> AsExpression<Text> for &'a Json<T> {
    type Expression = <&'a str as AsExpression<Text>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Text>::as_expression(self.as_str())
    }
}

impl<T> AsExpression<Nullable<Text>> for Json<T> {
    type Expression = <String as AsExpression<Nullable<Text>>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Nullable<Text>>::as_expression(self.text)
    }
}

impl<'a, T> AsExpression<Nullable<Text>> for &'a Json<T> {
    type Expression = <&'a str as AsExpression<Nullable<Text>>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Nullable<Text>>::as_expression(self.as_str())
    }
}
