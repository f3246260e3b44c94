-- One database per service: a service never reads another's data, it learns it from events.
CREATE DATABASE warden_accounts;
CREATE DATABASE warden_withdrawals;
CREATE DATABASE warden_cases;
CREATE DATABASE warden_notify;
