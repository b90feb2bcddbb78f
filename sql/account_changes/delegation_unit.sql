SELECT unit_id, name, kind FROM org_units WHERE unit_id = :unit_id
