/**
 * Kubernetes name syntax, in one place for every part that checks names (fleet schema, policies,
 * the gate's payload checks, agent ids, the output writer, the constructs). Sources are strings
 * for JSON schemas (ajv `pattern`); the RegExps are for code.
 */

/** DNS-1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric (length checked separately: 63). */
export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** DNS-1123 subdomain: labels joined by dots (length checked separately: 253). */
export const DNS1123_SUBDOMAIN =
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

export const DNS1123_LABEL_RE = new RegExp(DNS1123_LABEL);
export const DNS1123_SUBDOMAIN_RE = new RegExp(DNS1123_SUBDOMAIN);
