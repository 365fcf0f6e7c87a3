/**
 * The tables of MLflow's SQLite tracking store (`mlflow.db`), MLflow 3.x: every table and column
 * MLflow's current schema has (schemas/mlflow-db-tables.txt lists them; a test compares). The
 * tables the stand-in writes carry MLflow's keys and checks; the others exist so that a reader
 * (or a real MLflow) sees MLflow's full set of tables.
 */

/** Tables the writer fills: experiments, runs, metrics, datasets and inputs, LoggedModels, traces. */
export const WRITTEN_TABLES = `
CREATE TABLE IF NOT EXISTS alembic_version (
  version_num VARCHAR(32) NOT NULL,
  PRIMARY KEY (version_num)
);
CREATE TABLE IF NOT EXISTS experiments (
  experiment_id INTEGER NOT NULL,
  name VARCHAR(256) NOT NULL,
  artifact_location VARCHAR(256),
  lifecycle_stage VARCHAR(32),
  creation_time BIGINT,
  last_update_time BIGINT,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (experiment_id),
  CONSTRAINT uq_experiments_workspace_name UNIQUE (workspace, name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted'))
);
CREATE TABLE IF NOT EXISTS input_tags (
  input_uuid VARCHAR(36) NOT NULL,
  name VARCHAR(255) NOT NULL,
  value VARCHAR(500) NOT NULL,
  PRIMARY KEY (input_uuid, name)
);
CREATE TABLE IF NOT EXISTS inputs (
  input_uuid VARCHAR(36) NOT NULL,
  source_type VARCHAR(36) NOT NULL,
  source_id VARCHAR(36) NOT NULL,
  destination_type VARCHAR(36) NOT NULL,
  destination_id VARCHAR(36) NOT NULL,
  step BIGINT DEFAULT '0' NOT NULL,
  PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);
CREATE TABLE IF NOT EXISTS workspaces (
  name VARCHAR(63) NOT NULL,
  description TEXT,
  default_artifact_root TEXT,
  trace_archival_location TEXT,
  trace_archival_retention VARCHAR(32),
  PRIMARY KEY (name)
);
CREATE TABLE IF NOT EXISTS datasets (
  dataset_uuid VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  name VARCHAR(500) NOT NULL,
  digest VARCHAR(36) NOT NULL,
  dataset_source_type VARCHAR(36) NOT NULL,
  dataset_source TEXT NOT NULL,
  dataset_schema TEXT,
  dataset_profile TEXT,
  PRIMARY KEY (experiment_id, name, digest),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS experiment_tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  experiment_id INTEGER NOT NULL,
  PRIMARY KEY (key, experiment_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE IF NOT EXISTS logged_models (
  model_id VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  name VARCHAR(500) NOT NULL,
  artifact_location VARCHAR(1000) NOT NULL,
  creation_timestamp_ms BIGINT NOT NULL,
  last_updated_timestamp_ms BIGINT NOT NULL,
  status INTEGER NOT NULL,
  lifecycle_stage VARCHAR(32),
  model_type VARCHAR(500),
  source_run_id VARCHAR(32),
  status_message VARCHAR(1000),
  PRIMARY KEY (model_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE,
  CHECK (lifecycle_stage IN ('active', 'deleted'))
);
CREATE TABLE IF NOT EXISTS runs (
  run_uuid VARCHAR(32) NOT NULL,
  name VARCHAR(250),
  source_type VARCHAR(20),
  source_name VARCHAR(500),
  entry_point_name VARCHAR(50),
  user_id VARCHAR(256),
  status VARCHAR(9),
  start_time BIGINT,
  end_time BIGINT,
  source_version VARCHAR(50),
  lifecycle_stage VARCHAR(20),
  artifact_uri VARCHAR(200),
  experiment_id INTEGER,
  deleted_time BIGINT,
  PRIMARY KEY (run_uuid),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id),
  CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
  CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
  CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED'))
);
CREATE TABLE IF NOT EXISTS trace_info (
  request_id VARCHAR(50) NOT NULL,
  experiment_id INTEGER NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  execution_time_ms BIGINT,
  status VARCHAR(50) NOT NULL,
  client_request_id VARCHAR(50),
  request_preview VARCHAR(1000),
  response_preview VARCHAR(1000),
  db_payload_generation INTEGER DEFAULT '0' NOT NULL,
  PRIMARY KEY (request_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE IF NOT EXISTS assessments (
  assessment_id VARCHAR(50) NOT NULL,
  trace_id VARCHAR(50) NOT NULL,
  name VARCHAR(250) NOT NULL,
  assessment_type VARCHAR(20) NOT NULL,
  value TEXT NOT NULL,
  error TEXT,
  created_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  source_type VARCHAR(50) NOT NULL,
  source_id VARCHAR(250),
  run_id VARCHAR(32),
  span_id VARCHAR(50),
  rationale TEXT,
  overrides VARCHAR(50),
  valid BOOLEAN NOT NULL,
  assessment_metadata TEXT,
  PRIMARY KEY (assessment_id),
  FOREIGN KEY(trace_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS latest_metrics (
  key VARCHAR(250) NOT NULL,
  value FLOAT NOT NULL,
  timestamp BIGINT,
  step BIGINT NOT NULL,
  is_nan BOOLEAN NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
  CHECK (is_nan IN (0, 1))
);
CREATE TABLE IF NOT EXISTS logged_model_metrics (
  model_id VARCHAR(36) NOT NULL,
  metric_name VARCHAR(500) NOT NULL,
  metric_timestamp_ms BIGINT NOT NULL,
  metric_step BIGINT NOT NULL,
  metric_value FLOAT,
  experiment_id INTEGER NOT NULL,
  run_id VARCHAR(32) NOT NULL,
  dataset_uuid VARCHAR(36),
  dataset_name VARCHAR(500),
  dataset_digest VARCHAR(36),
  PRIMARY KEY (model_id, metric_name, metric_timestamp_ms, metric_step, run_id),
  FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE,
  FOREIGN KEY(run_id) REFERENCES runs (run_uuid) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS logged_model_params (
  model_id VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  param_key VARCHAR(255) NOT NULL,
  param_value TEXT NOT NULL,
  PRIMARY KEY (model_id, param_key),
  FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS logged_model_tags (
  model_id VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  tag_key VARCHAR(255) NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (model_id, tag_key),
  FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS metrics (
  key VARCHAR(250) NOT NULL,
  value FLOAT NOT NULL,
  timestamp BIGINT NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  step BIGINT DEFAULT '0' NOT NULL,
  is_nan BOOLEAN DEFAULT '0' NOT NULL,
  PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid),
  CHECK (is_nan IN (0, 1))
);
CREATE TABLE IF NOT EXISTS params (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000) NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE TABLE IF NOT EXISTS tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000),
  run_uuid VARCHAR(32) NOT NULL,
  PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE TABLE IF NOT EXISTS trace_request_metadata (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000),
  request_id VARCHAR(50) NOT NULL,
  PRIMARY KEY (key, request_id),
  FOREIGN KEY(request_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS trace_tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000),
  request_id VARCHAR(50) NOT NULL,
  PRIMARY KEY (key, request_id),
  FOREIGN KEY(request_id) REFERENCES trace_info (request_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX IF NOT EXISTS index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE INDEX IF NOT EXISTS index_params_run_uuid ON params (run_uuid);
CREATE INDEX IF NOT EXISTS index_tags_run_uuid ON tags (run_uuid);
CREATE INDEX IF NOT EXISTS index_trace_request_metadata_request_id ON trace_request_metadata (request_id);
CREATE INDEX IF NOT EXISTS index_assessments_trace_id ON assessments (trace_id);
CREATE INDEX IF NOT EXISTS index_trace_info_experiment_id_timestamp_ms ON trace_info (experiment_id, timestamp_ms);
CREATE INDEX IF NOT EXISTS index_trace_tags_request_id ON trace_tags (request_id);
`;

/** MLflow's other tables (registry, gateway, jobs, scorers, spans, ...): created empty. */
export const OTHER_TABLES = `
CREATE TABLE IF NOT EXISTS budget_policies (
  budget_policy_id VARCHAR(36) NOT NULL,
  budget_unit VARCHAR(32) NOT NULL,
  budget_amount FLOAT NOT NULL,
  duration_unit VARCHAR(32) NOT NULL,
  duration_value INTEGER NOT NULL,
  target_scope VARCHAR(32) NOT NULL,
  budget_action VARCHAR(32) NOT NULL,
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  last_updated_by VARCHAR(255),
  last_updated_at BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (budget_policy_id)
);
CREATE TABLE IF NOT EXISTS entity_associations (
  association_id VARCHAR(36) NOT NULL,
  source_type VARCHAR(36) NOT NULL,
  source_id VARCHAR(36) NOT NULL,
  destination_type VARCHAR(36) NOT NULL,
  destination_id VARCHAR(36) NOT NULL,
  created_time BIGINT,
  PRIMARY KEY (source_type, source_id, destination_type, destination_id)
);
CREATE TABLE IF NOT EXISTS evaluation_datasets (
  dataset_id VARCHAR(36) NOT NULL,
  name VARCHAR(255) NOT NULL,
  schema TEXT,
  profile TEXT,
  digest VARCHAR(64),
  created_time BIGINT,
  last_update_time BIGINT,
  created_by VARCHAR(255),
  last_updated_by VARCHAR(255),
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (dataset_id)
);
CREATE TABLE IF NOT EXISTS jobs (
  id VARCHAR(36) NOT NULL,
  creation_time BIGINT NOT NULL,
  job_name VARCHAR(500) NOT NULL,
  params TEXT NOT NULL,
  timeout FLOAT,
  status INTEGER NOT NULL,
  result TEXT,
  retry_count INTEGER NOT NULL,
  last_update_time BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  status_details JSON,
  PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS mcp_servers (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  name VARCHAR(256) NOT NULL,
  display_name VARCHAR(256),
  description TEXT,
  icons JSON,
  created_by VARCHAR(256),
  last_updated_by VARCHAR(256),
  created_at BIGINT NOT NULL,
  last_updated_at BIGINT NOT NULL,
  PRIMARY KEY (workspace, name)
);
CREATE TABLE IF NOT EXISTS registered_models (
  name VARCHAR(256) NOT NULL,
  creation_time BIGINT,
  last_updated_time BIGINT,
  description VARCHAR(5000),
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (workspace, name)
);
CREATE TABLE IF NOT EXISTS secrets (
  secret_id VARCHAR(36) NOT NULL,
  secret_name VARCHAR(255) NOT NULL,
  encrypted_value BLOB NOT NULL,
  wrapped_dek BLOB NOT NULL,
  kek_version INTEGER NOT NULL,
  masked_value VARCHAR(500) NOT NULL,
  provider VARCHAR(64),
  auth_config TEXT,
  description TEXT,
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  last_updated_by VARCHAR(255),
  last_updated_at BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (secret_id)
);
CREATE TABLE IF NOT EXISTS webhooks (
  webhook_id VARCHAR(256) NOT NULL,
  name VARCHAR(256) NOT NULL,
  description VARCHAR(1000),
  url VARCHAR(500) NOT NULL,
  status VARCHAR(20) DEFAULT 'ACTIVE' NOT NULL,
  secret VARCHAR(1000),
  creation_timestamp BIGINT,
  last_updated_timestamp BIGINT,
  deleted_timestamp BIGINT,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (webhook_id)
);
CREATE TABLE IF NOT EXISTS endpoints (
  endpoint_id VARCHAR(36) NOT NULL,
  name VARCHAR(255),
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  last_updated_by VARCHAR(255),
  last_updated_at BIGINT NOT NULL,
  routing_strategy VARCHAR(64),
  fallback_config_json TEXT,
  experiment_id INTEGER,
  usage_tracking BOOLEAN DEFAULT '0' NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (endpoint_id)
);
CREATE TABLE IF NOT EXISTS evaluation_dataset_records (
  dataset_record_id VARCHAR(36) NOT NULL,
  dataset_id VARCHAR(36) NOT NULL,
  inputs JSON NOT NULL,
  expectations JSON,
  tags JSON,
  source JSON,
  source_id VARCHAR(36),
  source_type VARCHAR(255),
  created_time BIGINT,
  last_update_time BIGINT,
  created_by VARCHAR(255),
  last_updated_by VARCHAR(255),
  input_hash VARCHAR(64) NOT NULL,
  outputs JSON,
  PRIMARY KEY (dataset_record_id)
);
CREATE TABLE IF NOT EXISTS evaluation_dataset_tags (
  dataset_id VARCHAR(36) NOT NULL,
  key VARCHAR(255) NOT NULL,
  value VARCHAR(5000),
  PRIMARY KEY (dataset_id, key)
);
CREATE TABLE IF NOT EXISTS label_schemas (
  schema_id VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  name VARCHAR(250) NOT NULL,
  type VARCHAR(16) NOT NULL,
  instruction TEXT,
  enable_comment BOOLEAN DEFAULT '0' NOT NULL,
  input_type VARCHAR(32) NOT NULL,
  input_config TEXT NOT NULL,
  created_by VARCHAR(255),
  created_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL,
  is_default BOOLEAN DEFAULT 0 NOT NULL,
  PRIMARY KEY (schema_id)
);
CREATE TABLE IF NOT EXISTS mcp_access_endpoints (
  id VARCHAR(36) NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  server_name VARCHAR(256) NOT NULL,
  server_version VARCHAR(128),
  server_alias VARCHAR(256),
  url VARCHAR(2048) NOT NULL,
  transport_type VARCHAR(32) DEFAULT 'streamable-http' NOT NULL,
  created_by VARCHAR(256),
  last_updated_by VARCHAR(256),
  created_at BIGINT NOT NULL,
  last_updated_at BIGINT NOT NULL,
  PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS mcp_server_aliases (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  name VARCHAR(256) NOT NULL,
  alias VARCHAR(256) NOT NULL,
  version VARCHAR(128) NOT NULL,
  PRIMARY KEY (workspace, name, alias)
);
CREATE TABLE IF NOT EXISTS mcp_server_tags (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  name VARCHAR(256) NOT NULL,
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  PRIMARY KEY (workspace, name, key)
);
CREATE TABLE IF NOT EXISTS mcp_server_versions (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  name VARCHAR(256) NOT NULL,
  version VARCHAR(128) NOT NULL,
  version_major INTEGER NOT NULL,
  version_minor INTEGER NOT NULL,
  version_patch INTEGER NOT NULL,
  version_prerelease_sort_key VARCHAR(512) NOT NULL,
  server_json JSON NOT NULL,
  display_name VARCHAR(256),
  status VARCHAR(20) DEFAULT 'draft' NOT NULL,
  tools JSON,
  source VARCHAR(512),
  created_by VARCHAR(256),
  last_updated_by VARCHAR(256),
  created_at BIGINT NOT NULL,
  last_updated_at BIGINT NOT NULL,
  PRIMARY KEY (workspace, name, version)
);
CREATE TABLE IF NOT EXISTS model_definitions (
  model_definition_id VARCHAR(36) NOT NULL,
  name VARCHAR(255) NOT NULL,
  secret_id VARCHAR(36),
  provider VARCHAR(64) NOT NULL,
  model_name VARCHAR(256) NOT NULL,
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  last_updated_by VARCHAR(255),
  last_updated_at BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (model_definition_id)
);
CREATE TABLE IF NOT EXISTS model_versions (
  name VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL,
  creation_time BIGINT,
  last_updated_time BIGINT,
  description VARCHAR(5000),
  user_id VARCHAR(256),
  current_stage VARCHAR(20),
  source VARCHAR(500),
  run_id VARCHAR(32),
  status VARCHAR(20),
  status_message VARCHAR(500),
  run_link VARCHAR(500),
  storage_location VARCHAR(500),
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (workspace, name, version)
);
CREATE TABLE IF NOT EXISTS registered_model_aliases (
  alias VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL,
  name VARCHAR(256) NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (workspace, name, alias)
);
CREATE TABLE IF NOT EXISTS registered_model_tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  name VARCHAR(256) NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (workspace, key, name)
);
CREATE TABLE IF NOT EXISTS review_queues (
  queue_id VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  name VARCHAR(250) NOT NULL,
  queue_type VARCHAR(16) NOT NULL,
  created_by VARCHAR(255),
  creation_time_ms BIGINT NOT NULL,
  last_update_time_ms BIGINT NOT NULL,
  name_key VARCHAR(250) NOT NULL,
  PRIMARY KEY (queue_id)
);
CREATE TABLE IF NOT EXISTS scorers (
  experiment_id INTEGER NOT NULL,
  scorer_name VARCHAR(256) NOT NULL,
  scorer_id VARCHAR(36) NOT NULL,
  PRIMARY KEY (scorer_id)
);
CREATE TABLE IF NOT EXISTS webhook_events (
  webhook_id VARCHAR(256) NOT NULL,
  entity VARCHAR(50) NOT NULL,
  action VARCHAR(50) NOT NULL,
  PRIMARY KEY (webhook_id, entity, action)
);
CREATE TABLE IF NOT EXISTS endpoint_bindings (
  endpoint_id VARCHAR(36) NOT NULL,
  resource_type VARCHAR(50) NOT NULL,
  resource_id VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL,
  created_by VARCHAR(255),
  last_updated_at BIGINT NOT NULL,
  last_updated_by VARCHAR(255),
  display_name VARCHAR(255),
  PRIMARY KEY (endpoint_id, resource_type, resource_id)
);
CREATE TABLE IF NOT EXISTS endpoint_model_mappings (
  mapping_id VARCHAR(36) NOT NULL,
  endpoint_id VARCHAR(36) NOT NULL,
  model_definition_id VARCHAR(36) NOT NULL,
  weight FLOAT NOT NULL,
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  linkage_type VARCHAR(64) DEFAULT 'PRIMARY' NOT NULL,
  fallback_order INTEGER,
  PRIMARY KEY (mapping_id)
);
CREATE TABLE IF NOT EXISTS endpoint_tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  endpoint_id VARCHAR(36) NOT NULL,
  PRIMARY KEY (key, endpoint_id)
);
CREATE TABLE IF NOT EXISTS issues (
  issue_id VARCHAR(36) NOT NULL,
  experiment_id INTEGER NOT NULL,
  name VARCHAR(250) NOT NULL,
  description TEXT NOT NULL,
  status VARCHAR(50) NOT NULL,
  severity VARCHAR(50),
  root_causes TEXT,
  source_run_id VARCHAR(32),
  categories TEXT,
  created_timestamp BIGINT NOT NULL,
  last_updated_timestamp BIGINT NOT NULL,
  created_by VARCHAR(255),
  PRIMARY KEY (issue_id)
);
CREATE TABLE IF NOT EXISTS mcp_server_version_tags (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  name VARCHAR(256) NOT NULL,
  version VARCHAR(128) NOT NULL,
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  PRIMARY KEY (workspace, name, version, key)
);
CREATE TABLE IF NOT EXISTS model_version_tags (
  key VARCHAR(250) NOT NULL,
  value TEXT,
  name VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (workspace, key, name, version)
);
CREATE TABLE IF NOT EXISTS online_scoring_configs (
  online_scoring_config_id VARCHAR(36) NOT NULL,
  scorer_id VARCHAR(36) NOT NULL,
  sample_rate FLOAT NOT NULL,
  experiment_id INTEGER NOT NULL,
  filter_string TEXT,
  PRIMARY KEY (online_scoring_config_id)
);
CREATE TABLE IF NOT EXISTS review_queue_items (
  queue_id VARCHAR(36) NOT NULL,
  item_type VARCHAR(16) NOT NULL,
  item_id VARCHAR(50) NOT NULL,
  status VARCHAR(16) NOT NULL,
  completed_by VARCHAR(250),
  completed_time_ms BIGINT,
  creation_time_ms BIGINT NOT NULL,
  last_update_time_ms BIGINT NOT NULL,
  PRIMARY KEY (queue_id, item_id)
);
CREATE TABLE IF NOT EXISTS review_queue_label_schemas (
  queue_id VARCHAR(36) NOT NULL,
  schema_id VARCHAR(36) NOT NULL,
  PRIMARY KEY (queue_id, schema_id)
);
CREATE TABLE IF NOT EXISTS review_queue_users (
  queue_id VARCHAR(36) NOT NULL,
  user_id VARCHAR(250) NOT NULL,
  PRIMARY KEY (queue_id, user_id)
);
CREATE TABLE IF NOT EXISTS scorer_versions (
  scorer_id VARCHAR(36) NOT NULL,
  scorer_version INTEGER NOT NULL,
  serialized_scorer TEXT NOT NULL,
  creation_time BIGINT,
  PRIMARY KEY (scorer_id, scorer_version)
);
CREATE TABLE IF NOT EXISTS spans (
  trace_id VARCHAR(50) NOT NULL,
  experiment_id INTEGER NOT NULL,
  span_id VARCHAR(50) NOT NULL,
  parent_span_id VARCHAR(50),
  name TEXT,
  type VARCHAR(500),
  status VARCHAR(50) NOT NULL,
  start_time_unix_nano BIGINT NOT NULL,
  end_time_unix_nano BIGINT,
  duration_ns BIGINT,
  content TEXT NOT NULL,
  dimension_attributes JSON,
  PRIMARY KEY (trace_id, span_id)
);
CREATE TABLE IF NOT EXISTS trace_metrics (
  request_id VARCHAR(50) NOT NULL,
  key VARCHAR(250) NOT NULL,
  value FLOAT,
  PRIMARY KEY (request_id, key)
);
CREATE TABLE IF NOT EXISTS guardrails (
  guardrail_id VARCHAR(36) NOT NULL,
  name VARCHAR(255) NOT NULL,
  scorer_id VARCHAR(36) NOT NULL,
  scorer_version INTEGER NOT NULL,
  stage VARCHAR(32) NOT NULL,
  action VARCHAR(32) NOT NULL,
  action_endpoint_id VARCHAR(36),
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  last_updated_by VARCHAR(255),
  last_updated_at BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (guardrail_id)
);
CREATE TABLE IF NOT EXISTS span_attributes (
  trace_id VARCHAR(50) NOT NULL,
  span_id VARCHAR(50) NOT NULL,
  key VARCHAR(250) NOT NULL,
  value VARCHAR(500) NOT NULL,
  value_truncated BOOLEAN DEFAULT 0 NOT NULL,
  PRIMARY KEY (trace_id, span_id, key)
);
CREATE TABLE IF NOT EXISTS span_metrics (
  trace_id VARCHAR(50) NOT NULL,
  span_id VARCHAR(50) NOT NULL,
  key VARCHAR(250) NOT NULL,
  value FLOAT,
  PRIMARY KEY (trace_id, span_id, key)
);
CREATE TABLE IF NOT EXISTS guardrail_configs (
  endpoint_id VARCHAR(36) NOT NULL,
  guardrail_id VARCHAR(36) NOT NULL,
  execution_order INTEGER,
  created_by VARCHAR(255),
  created_at BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  PRIMARY KEY (endpoint_id, guardrail_id)
);
`;
