UPDATE clocks SET policy = json_remove(policy, '$.label', '$.milestone', '$.report_as', '$.severities', '$.start_from');
