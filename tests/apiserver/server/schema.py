"""Go struct definitions (v1.28) of the kinds the test server serves.

Field order, omitempty, pointer-ness, list types (+listType/+listMapKey, used by managedFields and
server-side apply) and strategic-merge-patch tags (patchMergeKey/patchStrategy) follow the
Kubernetes source; they are what make responses byte-compatible with the recordings.
"""

from .gotypes import (F, Struct, Map, List, Ptr, Str, Int32, Int64, Bool, Time, MicroTime,
                      IntOrString, Quantity, Raw)

TYPE_META = [F('kind', Str, True), F('apiVersion', Str, True)]

OwnerReference = Struct('v1.OwnerReference', [
    F('apiVersion', Str), F('kind', Str), F('name', Str), F('uid', Str),
    F('controller', Ptr(Bool), True), F('blockOwnerDeletion', Ptr(Bool), True)], atomic=True)

ManagedFieldsEntry = Struct('v1.ManagedFieldsEntry', [
    F('manager', Str, True), F('operation', Str, True), F('apiVersion', Str, True),
    F('time', Ptr(Time), True), F('fieldsType', Str, True), F('fieldsV1', Ptr(Raw), True),
    F('subresource', Str, True)])

ObjectMeta = Struct('v1.ObjectMeta', [
    F('name', Str, True), F('generateName', Str, True), F('namespace', Str, True),
    F('selfLink', Str, True), F('uid', Str, True), F('resourceVersion', Str, True),
    F('generation', Int64, True), F('creationTimestamp', Time, True),
    F('deletionTimestamp', Ptr(Time), True), F('deletionGracePeriodSeconds', Ptr(Int64), True),
    F('labels', Map(Str), True), F('annotations', Map(Str), True),
    F('ownerReferences', List(OwnerReference, 'map', ('uid',), merge_key='uid', strategy='merge'), True),
    F('finalizers', List(Str, 'set', strategy='merge'), True),
    F('managedFields', List(ManagedFieldsEntry), True)])

ObjectReference = Struct('v1.ObjectReference', [
    F('kind', Str, True), F('namespace', Str, True), F('name', Str, True), F('uid', Str, True),
    F('apiVersion', Str, True), F('resourceVersion', Str, True), F('fieldPath', Str, True)],
    atomic=True)

Condition = Struct('v1.Condition', [
    F('type', Str), F('status', Str), F('observedGeneration', Int64, True),
    F('lastTransitionTime', Time), F('reason', Str), F('message', Str)])

# ----- core/v1 Service -------------------------------------------------------------------------

ServicePort = Struct('v1.ServicePort', [
    F('name', Str, True), F('protocol', Str, True), F('appProtocol', Ptr(Str), True),
    F('port', Int32), F('targetPort', IntOrString, True), F('nodePort', Int32, True)])

SessionAffinityConfig = Struct('v1.SessionAffinityConfig', [
    F('clientIP', Ptr(Struct('v1.ClientIPConfig', [F('timeoutSeconds', Ptr(Int32), True)])), True)])

ServiceSpec = Struct('v1.ServiceSpec', [
    F('ports', List(ServicePort, 'map', ('port', 'protocol'), merge_key='port', strategy='merge'), True),
    F('selector', Map(Str, atomic=True), True),
    F('clusterIP', Str, True), F('clusterIPs', List(Str), True), F('type', Str, True),
    F('externalIPs', List(Str), True), F('sessionAffinity', Str, True),
    F('loadBalancerIP', Str, True), F('loadBalancerSourceRanges', List(Str), True),
    F('externalName', Str, True), F('externalTrafficPolicy', Str, True),
    F('healthCheckNodePort', Int32, True), F('publishNotReadyAddresses', Bool, True),
    F('sessionAffinityConfig', Ptr(SessionAffinityConfig), True),
    F('ipFamilies', List(Str), True), F('ipFamilyPolicy', Ptr(Str), True),
    F('allocateLoadBalancerNodePorts', Ptr(Bool), True), F('loadBalancerClass', Ptr(Str), True),
    F('internalTrafficPolicy', Ptr(Str), True)])

PortStatus = Struct('v1.PortStatus', [F('port', Int32), F('protocol', Str), F('error', Ptr(Str), True)])

# ipMode does not exist in v1.28: it is an unknown field (dropped with a warning), as recorded.
LoadBalancerIngress = Struct('v1.LoadBalancerIngress', [
    F('ip', Str, True), F('hostname', Str, True), F('ports', List(PortStatus), True)])

ServiceStatus = Struct('v1.ServiceStatus', [
    F('loadBalancer', Struct('v1.LoadBalancerStatus', [
        F('ingress', List(LoadBalancerIngress), True)]), True),
    F('conditions', List(Condition, 'map', ('type',), merge_key='type', strategy='merge'), True)])

Service = Struct('v1.Service', TYPE_META + [
    F('metadata', ObjectMeta, True), F('spec', ServiceSpec, True), F('status', ServiceStatus, True)])

# ----- core/v1 Namespace -----------------------------------------------------------------------

NamespaceCondition = Struct('v1.NamespaceCondition', [
    F('type', Str), F('status', Str), F('lastTransitionTime', Time, True),
    F('reason', Str, True), F('message', Str, True)])

Namespace = Struct('v1.Namespace', TYPE_META + [
    F('metadata', ObjectMeta, True),
    F('spec', Struct('v1.NamespaceSpec', [F('finalizers', List(Str), True)]), True),
    F('status', Struct('v1.NamespaceStatus', [
        F('phase', Str, True),
        F('conditions', List(NamespaceCondition, 'map', ('type',), merge_key='type', strategy='merge'), True)]),
      True)])

# ----- core/v1 Node ----------------------------------------------------------------------------

Taint = Struct('v1.Taint', [F('key', Str), F('value', Str, True), F('effect', Str),
                            F('timeAdded', Ptr(Time), True)])

NodeSpec = Struct('v1.NodeSpec', [
    F('podCIDR', Str, True), F('podCIDRs', List(Str, 'set', strategy='merge'), True),
    F('providerID', Str, True), F('unschedulable', Bool, True), F('taints', List(Taint), True),
    F('configSource', Ptr(Raw), True), F('externalID', Str, True)])

NodeCondition = Struct('v1.NodeCondition', [
    F('type', Str), F('status', Str), F('lastHeartbeatTime', Time, True),
    F('lastTransitionTime', Time, True), F('reason', Str, True), F('message', Str, True)])

NodeAddress = Struct('v1.NodeAddress', [F('type', Str), F('address', Str)])

NodeSystemInfo = Struct('v1.NodeSystemInfo', [
    F(n, Str) for n in ('machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage',
                        'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion',
                        'operatingSystem', 'architecture')])

NodeStatus = Struct('v1.NodeStatus', [
    F('capacity', Map(Quantity), True), F('allocatable', Map(Quantity), True),
    F('phase', Str, True),
    F('conditions', List(NodeCondition, merge_key='type', strategy='merge'), True),
    F('addresses', List(NodeAddress, merge_key='type', strategy='merge'), True),
    F('daemonEndpoints', Struct('v1.NodeDaemonEndpoints', [
        F('kubeletEndpoint', Struct('v1.DaemonEndpoint', [F('Port', Int32)]), True)]), True),
    F('nodeInfo', NodeSystemInfo, True),
    F('images', List(Struct('v1.ContainerImage', [F('names', List(Str)),
                                                   F('sizeBytes', Int64, True)])), True),
    F('volumesInUse', List(Str), True), F('volumesAttached', List(Raw), True),
    F('config', Ptr(Raw), True)])

Node = Struct('v1.Node', TYPE_META + [
    F('metadata', ObjectMeta, True), F('spec', NodeSpec, True), F('status', NodeStatus, True)])

# ----- discovery.k8s.io/v1 EndpointSlice -------------------------------------------------------

Endpoint = Struct('v1.Endpoint', [
    F('addresses', List(Str, 'set')),
    F('conditions', Struct('v1.EndpointConditions', [
        F('ready', Ptr(Bool), True), F('serving', Ptr(Bool), True),
        F('terminating', Ptr(Bool), True)]), True),
    F('hostname', Ptr(Str), True), F('targetRef', Ptr(ObjectReference), True),
    F('deprecatedTopology', Map(Str), True), F('nodeName', Ptr(Str), True),
    F('zone', Ptr(Str), True),
    F('hints', Ptr(Struct('v1.EndpointHints', [
        F('forZones', List(Struct('v1.ForZone', [F('name', Str)])), True)])), True)])

EndpointPort = Struct('v1.EndpointPort', [
    F('name', Ptr(Str), True), F('protocol', Ptr(Str), True), F('port', Ptr(Int32), True),
    F('appProtocol', Ptr(Str), True)], atomic=True)

EndpointSlice = Struct('v1.EndpointSlice', TYPE_META + [
    F('metadata', ObjectMeta, True), F('addressType', Str),
    F('endpoints', List(Endpoint)), F('ports', List(EndpointPort))])

# ----- coordination.k8s.io/v1 Lease ------------------------------------------------------------

Lease = Struct('v1.Lease', TYPE_META + [
    F('metadata', ObjectMeta, True),
    F('spec', Struct('v1.LeaseSpec', [
        F('holderIdentity', Ptr(Str), True), F('leaseDurationSeconds', Ptr(Int32), True),
        F('acquireTime', Ptr(MicroTime), True), F('renewTime', Ptr(MicroTime), True),
        F('leaseTransitions', Ptr(Int32), True)]), True)])

# ----- events: core/v1 and events.k8s.io/v1 (one storage) ---------------------------------------

EventSource = Struct('v1.EventSource', [F('component', Str, True), F('host', Str, True)])

CoreEvent = Struct('v1.Event', TYPE_META + [
    F('metadata', ObjectMeta, True), F('involvedObject', ObjectReference),
    F('reason', Str, True), F('message', Str, True), F('source', EventSource, True),
    F('firstTimestamp', Time, True), F('lastTimestamp', Time, True), F('count', Int32, True),
    F('type', Str, True), F('eventTime', MicroTime, True),
    F('series', Ptr(Struct('v1.EventSeries', [F('count', Int32, True),
                                               F('lastObservedTime', MicroTime, True)])), True),
    F('action', Str, True), F('related', Ptr(ObjectReference), True),
    F('reportingComponent', Str), F('reportingInstance', Str)])

EventsV1Event = Struct('v1.Event', TYPE_META + [
    F('metadata', ObjectMeta, True), F('eventTime', MicroTime),
    F('series', Ptr(Struct('v1.EventSeries', [F('count', Int32),
                                               F('lastObservedTime', MicroTime)])), True),
    F('reportingController', Str, True), F('reportingInstance', Str, True),
    F('action', Str, True), F('reason', Str, True), F('regarding', ObjectReference, True),
    F('related', Ptr(ObjectReference), True), F('note', Str, True), F('type', Str, True),
    F('deprecatedSource', EventSource, True), F('deprecatedFirstTimestamp', Time, True),
    F('deprecatedLastTimestamp', Time, True), F('deprecatedCount', Int32, True)])

# ----- request option bodies -------------------------------------------------------------------

DeleteOptions = Struct('v1.DeleteOptions', TYPE_META + [
    F('gracePeriodSeconds', Ptr(Int64), True),
    F('preconditions', Ptr(Struct('v1.Preconditions', [F('uid', Ptr(Str), True),
                                                        F('resourceVersion', Ptr(Str), True)])), True),
    F('orphanDependents', Ptr(Bool), True), F('propagationPolicy', Ptr(Str), True),
    F('dryRun', List(Str), True)])

SelfSubjectAccessReview = Struct('v1.SelfSubjectAccessReview', TYPE_META + [
    F('metadata', ObjectMeta, True),
    F('spec', Struct('v1.SelfSubjectAccessReviewSpec', [
        F('resourceAttributes', Ptr(Struct('v1.ResourceAttributes', [
            F(n, Str, True) for n in ('namespace', 'verb', 'group', 'version', 'resource',
                                      'subresource', 'name')])), True),
        F('nonResourceAttributes', Ptr(Struct('v1.NonResourceAttributes', [
            F('path', Str, True), F('verb', Str, True)])), True)]), True),
    F('status', Struct('v1.SubjectAccessReviewStatus', [
        F('allowed', Bool), F('denied', Bool, True), F('reason', Str, True),
        F('evaluationError', Str, True)]), True)])

# ----- flowcontrol.apiserver.k8s.io/v1beta3 (API Priority and Fairness) -------------------------

FlowSchemaCondition = Struct('v1beta3.FlowSchemaCondition', [
    F('type', Str, True), F('status', Str, True), F('lastTransitionTime', Time, True),
    F('reason', Str, True), F('message', Str, True)])

_NAME_ONLY = [F('name', Str)]

FlowSubject = Struct('v1beta3.Subject', [
    F('kind', Str),
    F('user', Ptr(Struct('v1beta3.UserSubject', _NAME_ONLY)), True),
    F('group', Ptr(Struct('v1beta3.GroupSubject', _NAME_ONLY)), True),
    F('serviceAccount', Ptr(Struct('v1beta3.ServiceAccountSubject', [
        F('namespace', Str), F('name', Str)])), True)])

# `namespaces` has no omitempty in the Go type: a cluster-scope-only rule prints "namespaces":null.
ResourcePolicyRule = Struct('v1beta3.ResourcePolicyRule', [
    F('verbs', List(Str, 'set')), F('apiGroups', List(Str, 'set')), F('resources', List(Str, 'set')),
    F('clusterScope', Bool, True), F('namespaces', List(Str, 'set'))])

NonResourcePolicyRule = Struct('v1beta3.NonResourcePolicyRule', [
    F('verbs', List(Str, 'set')), F('nonResourceURLs', List(Str, 'set'))])

PolicyRulesWithSubjects = Struct('v1beta3.PolicyRulesWithSubjects', [
    F('subjects', List(FlowSubject)), F('resourceRules', List(ResourcePolicyRule), True),
    F('nonResourceRules', List(NonResourcePolicyRule), True)])

FlowSchema = Struct('v1beta3.FlowSchema', TYPE_META + [
    F('metadata', ObjectMeta, True),
    F('spec', Struct('v1beta3.FlowSchemaSpec', [
        F('priorityLevelConfiguration', Struct('v1beta3.PriorityLevelConfigurationReference', _NAME_ONLY)),
        F('matchingPrecedence', Int32),
        F('distinguisherMethod', Ptr(Struct('v1beta3.FlowDistinguisherMethod', [F('type', Str)])), True),
        F('rules', List(PolicyRulesWithSubjects), True)]), True),
    F('status', Struct('v1beta3.FlowSchemaStatus', [
        F('conditions', List(FlowSchemaCondition, 'map', ('type',), merge_key='type', strategy='merge'), True)]),
      True)])

PriorityLevelConfigurationCondition = Struct('v1beta3.PriorityLevelConfigurationCondition',
                                             FlowSchemaCondition.fields)

QueuingConfiguration = Struct('v1beta3.QueuingConfiguration', [
    F('queues', Int32), F('handSize', Int32), F('queueLengthLimit', Int32)])

PriorityLevelConfiguration = Struct('v1beta3.PriorityLevelConfiguration', TYPE_META + [
    F('metadata', ObjectMeta, True),
    F('spec', Struct('v1beta3.PriorityLevelConfigurationSpec', [
        F('type', Str),
        F('limited', Ptr(Struct('v1beta3.LimitedPriorityLevelConfiguration', [
            F('nominalConcurrencyShares', Int32),
            F('limitResponse', Struct('v1beta3.LimitResponse', [
                F('type', Str), F('queuing', Ptr(QueuingConfiguration), True)]), True),
            F('lendablePercent', Ptr(Int32), True), F('borrowingLimitPercent', Ptr(Int32), True)])), True),
        F('exempt', Ptr(Struct('v1beta3.ExemptPriorityLevelConfiguration', [
            F('nominalConcurrencyShares', Ptr(Int32), True),
            F('lendablePercent', Ptr(Int32), True)])), True)]), True),
    F('status', Struct('v1beta3.PriorityLevelConfigurationStatus', [
        F('conditions', List(PriorityLevelConfigurationCondition, 'map', ('type',), merge_key='type', strategy='merge'), True)]),
      True)])
