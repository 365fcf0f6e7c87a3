/**
 * Argo CD health checks for the two custom resources operators watch: the Flagger `Canary` and
 * the Recif `Agent`, as resource customizations in `argocd-cm`
 * (`resource.customizations.health.<group>_<kind>`, Lua run by Argo CD's gopher-lua, Lua 5.1).
 *
 * Only those two keys are emitted, with `ServerSideApply=true`: Argo CD then owns just these
 * fields of the ConfigMap, and the rest of `argocd-cm` (whatever the Argo CD installation put
 * there) is left alone.
 *
 * Canary (Flagger status phases): Initialized / Succeeded -> Healthy; Failed -> Degraded;
 * Initializing / Progressing / Promoting / Finalising / Terminating -> Progressing; Waiting /
 * WaitingPromotion (held at a confirm gate, e.g. the step-hold) -> Suspended, so a rollout paused
 * at a gate reads as paused, not as broken. Argo CD's bundled check fails on a status without
 * `canaryWeight` or `conditions` and reports the waiting phases as Unknown.
 *
 * Agent (Recif status): Running -> Healthy unless a condition is False (Degraded); Pending ->
 * Progressing; Failed -> Degraded; Terminated -> Suspended. No status at all is Healthy: the
 * generator's own Deployments run the agent, and without the Recif operator nothing writes an
 * Agent status, so waiting for one would hold every sync wave after the Agent forever.
 */
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';

export const CANARY_HEALTH_KEY = 'resource.customizations.health.flagger.app_Canary';
export const AGENT_HEALTH_KEY = 'resource.customizations.health.agents.recif.dev_Agent';

export const CANARY_HEALTH_LUA = `local hs = {}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for Flagger to initialize the canary"
  return hs
end
local phase = obj.status.phase
local parts = {}
if obj.status.canaryWeight ~= nil and tonumber(obj.status.canaryWeight) ~= nil and tonumber(obj.status.canaryWeight) > 0 then
  table.insert(parts, "canary weight " .. tostring(obj.status.canaryWeight) .. "%")
end
if obj.status.iterations ~= nil and tonumber(obj.status.iterations) ~= nil and tonumber(obj.status.iterations) > 0 then
  table.insert(parts, "iteration " .. tostring(obj.status.iterations))
end
if obj.status.failedChecks ~= nil and tonumber(obj.status.failedChecks) ~= nil and tonumber(obj.status.failedChecks) > 0 then
  table.insert(parts, "failed checks " .. tostring(obj.status.failedChecks))
end
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.message ~= nil and c.message ~= "" then
      table.insert(parts, c.message)
    end
  end
end
if phase == "Initialized" or phase == "Succeeded" then
  hs.status = "Healthy"
elseif phase == "Failed" then
  hs.status = "Degraded"
elseif phase == "Waiting" or phase == "WaitingPromotion" then
  hs.status = "Suspended"
elseif phase == "Initializing" or phase == "Progressing" or phase == "Promoting" or phase == "Finalising" or phase == "Terminating" then
  hs.status = "Progressing"
else
  hs.status = "Unknown"
end
if #parts > 0 then
  hs.message = phase .. ": " .. table.concat(parts, "; ")
else
  hs.message = phase
end
return hs
`;

export const AGENT_HEALTH_LUA = `local hs = {}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Healthy"
  hs.message = "No Agent status (no Recif operator reconciles it); the agent runs from its Deployments"
  return hs
end
local phase = obj.status.phase
local failing = nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.status == "False" then
      failing = c
      break
    end
  end
end
if phase == "Failed" then
  hs.status = "Degraded"
elseif phase == "Pending" then
  hs.status = "Progressing"
elseif phase == "Terminated" then
  hs.status = "Suspended"
elseif phase == "Running" then
  if failing ~= nil then hs.status = "Degraded" else hs.status = "Healthy" end
else
  hs.status = "Unknown"
end
hs.message = phase
if failing ~= nil then
  hs.message = phase .. ": " .. tostring(failing.type) .. " is False (" .. tostring(failing.reason) .. "): " .. tostring(failing.message)
elseif obj.status.replicas ~= nil then
  hs.message = phase .. ", " .. tostring(obj.status.replicas) .. " replicas"
end
return hs
`;

export interface ArgoCdHealthProps {
  /** Namespace Argo CD runs in. @default 'argocd' */
  readonly argocdNamespace?: string;
}

export class ArgoCdHealthChecks extends Construct {
  readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: ArgoCdHealthProps = {}) {
    super(scope, id);
    this.configMap = new k8s.KubeConfigMap(this, 'ArgoCdCm', {
      metadata: {
        name: 'argocd-cm',
        namespace: props.argocdNamespace ?? 'argocd',
        // Argo CD reads argocd-cm only with these labels (its installation sets the same).
        labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
        annotations: {
          'argocd.argoproj.io/sync-options': 'ServerSideApply=true',
          'argocd.argoproj.io/sync-wave': '-1',
        },
      },
      data: { [CANARY_HEALTH_KEY]: CANARY_HEALTH_LUA, [AGENT_HEALTH_KEY]: AGENT_HEALTH_LUA },
    });
  }
}
