UPDATE clocks SET policy = (policy::jsonb - 'label' - 'milestone' - 'report_as' - 'severities' - 'start_from')::text;
