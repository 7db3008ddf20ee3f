// Written to match migrations/*/…_foundation/up.sql; both backends share it.

diesel::table! {
    units (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        level -> Text,
        parent_id -> Nullable<Text>,
        path -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        quiet_hours -> Nullable<Text>,
    }
}

diesel::table! {
    contacts (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        phone -> Nullable<Text>,
        unit_id -> Text,
        roles -> Text,
        active -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        wecom_userid -> Nullable<Text>,
        mobile -> Nullable<Text>,
        notification_rules -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        unit_id -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Integer,
        last_value -> BigInt,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        reference -> Text,
        title -> Text,
        summary -> Text,
        source_channel -> Text,
        source_url -> Nullable<Text>,
        discovered_at -> Timestamp,
        reported_by -> Text,
        reported_by_name -> Text,
        severity -> Text,
        category -> Text,
        special_topic -> Nullable<Text>,
        status -> Text,
        dismissal_reason -> Nullable<Text>,
        publication -> Nullable<Text>,
        possible_duplicate_of -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        next_due_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    incident_units (incident_id, unit_id) {
        incident_id -> Text,
        unit_id -> Text,
        first_responsible -> Bool,
    }
}

diesel::table! {
    incident_referrals (id) {
        id -> Text,
        incident_id -> Text,
        authority -> Text,
        referred_at -> Timestamp,
        their_reference -> Nullable<Text>,
        note -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incident_events (id) {
        id -> BigInt,
        incident_id -> Text,
        at -> Timestamp,
        actor_id -> Text,
        actor_name -> Text,
        kind -> Text,
        changes -> Text,
        note -> Nullable<Text>,
        seq -> Nullable<BigInt>,
    }
}

diesel::table! {
    idempotency_keys (actor_id, key) {
        actor_id -> Text,
        key -> Text,
        request_hash -> Text,
        incident_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        login -> Text,
        display_name -> Text,
        role -> Text,
        unit_id -> Nullable<Text>,
        contact_id -> Nullable<Text>,
        password_hash -> Text,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        password_changed_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        account_id -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_throttle (subject) {
        subject -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        in_flight -> Integer,
        in_flight_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    form_submissions (actor_id, form_key) {
        actor_id -> Text,
        form_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stream_tickets (ticket_hash) {
        ticket_hash -> Text,
        token_id -> Text,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(stream_tickets -> api_tokens (token_id));
diesel::joinable!(contacts -> units (unit_id));
diesel::joinable!(accounts -> units (unit_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(api_tokens -> units (unit_id));
diesel::joinable!(incident_units -> incidents (incident_id));
diesel::joinable!(incident_units -> units (unit_id));
diesel::joinable!(incident_referrals -> incidents (incident_id));
diesel::joinable!(incident_events -> incidents (incident_id));

diesel::table! {
    clocks (id) {
        id -> Text,
        incident_id -> Text,
        kind -> Text,
        state -> Text,
        started_at -> Timestamp,
        due_at -> Timestamp,
        policy -> Text,
        stopped_at -> Nullable<Timestamp>,
        stop_reason -> Nullable<Text>,
        created_at -> Timestamp,
        at_risk_at -> Timestamp,
        phase -> Text,
    }
}

diesel::table! {
    change_counter (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    milestones (id) {
        id -> Text,
        incident_id -> Text,
        kind -> Text,
        occurred_at -> Timestamp,
        evidence -> Text,
        note -> Nullable<Text>,
        clock_id -> Nullable<Text>,
        recorded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    escalations (id) {
        id -> Text,
        clock_id -> Nullable<Text>,
        incident_id -> Nullable<Text>,
        step -> Text,
        rank -> Integer,
        due_at -> Timestamp,
        contact_id -> Text,
        channel -> Text,
        address -> Text,
        recipient_name -> Text,
        recipient_role -> Text,
        recipient_unit -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        lease_token -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        late -> Bool,
        message_id -> Text,
        sent_at -> Nullable<Timestamp>,
        context -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        after_minutes -> Integer,
        held_from -> Nullable<Timestamp>,
    }
}

diesel::table! {
    acknowledgements (clock_id, contact_id) {
        clock_id -> Text,
        contact_id -> Text,
        channel -> Text,
        address -> Text,
        name -> Text,
        escalation_id -> Text,
        acknowledged_at -> Timestamp,
    }
}

diesel::table! {
    service_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    briefings (id) {
        id -> Text,
        incident_id -> Text,
        version -> BigInt,
        kind -> Text,
        from_unit_id -> Text,
        to_unit_id -> Text,
        facts -> Text,
        submitted_at -> Timestamp,
        submitted_by -> Text,
        submitted_by_name -> Text,
        read_at -> Nullable<Timestamp>,
        read_by_name -> Nullable<Text>,
    }
}

diesel::joinable!(briefings -> incidents (incident_id));
diesel::joinable!(clocks -> incidents (incident_id));
diesel::joinable!(milestones -> incidents (incident_id));
diesel::joinable!(escalations -> clocks (clock_id));
diesel::joinable!(escalations -> incidents (incident_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    contacts,
    api_tokens,
    reference_counters,
    incidents,
    incident_units,
    incident_referrals,
    incident_events,
    idempotency_keys,
    clocks,
    milestones,
    escalations,
    acknowledgements,
    service_secrets,
    change_counter,
    accounts,
    sessions,
    sign_in_throttle,
    form_submissions,
    stream_tickets,
    briefings,
    robots,
    robot_sends,
    send_slots,
);

diesel::table! {
    robots (id) {
        id -> Text,
        unit_id -> Text,
        kind -> Text,
        name -> Text,
        webhook -> Text,
        secret -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    robot_sends (robot_id, sent_at) {
        robot_id -> Text,
        sent_at -> Timestamp,
    }
}

diesel::joinable!(robots -> units (unit_id));

diesel::table! {
    send_slots (key, sent_at) {
        key -> Text,
        sent_at -> Timestamp,
    }
}
