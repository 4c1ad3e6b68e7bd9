#include "core/k8s/object_codec.h"

#include <gtest/gtest.h>

#include "test_data.h"

namespace lbd::k8s {
namespace {

using lbd::testing::readTestData;

TEST(ObjectCodec, DecodesRecordedLoadBalancerService) {
  auto json = parseJson(readTestData("k8s/service-lb-local.json"));
  ASSERT_TRUE(json);
  auto service = decodeService(json.value());
  ASSERT_TRUE(service) << service.error().message;
  EXPECT_EQ(service->meta.key(), "demo/lb-local");
  EXPECT_EQ(service->meta.uid, "7bae8687-e274-404b-8b0a-9e6801177676");
  EXPECT_EQ(service->meta.resource_version, "237");
  EXPECT_EQ(service->meta.creation_timestamp, "2026-11-23T13:50:10Z");
  EXPECT_EQ(service->type, "LoadBalancer");
  EXPECT_EQ(service->load_balancer_class, "example.com/lbd");
  EXPECT_EQ(service->external_traffic_policy, "Local");
  EXPECT_EQ(service->ip_families, std::vector<std::string>{"IPv4"});
  EXPECT_EQ(service->ip_family_policy, "SingleStack");
  EXPECT_EQ(service->selector, (Labels{{"app", "x"}}));
  ASSERT_EQ(service->ports.size(), 2u);
  EXPECT_EQ(service->ports[0], (ServicePort{"https", "TCP", 443}));
  EXPECT_EQ(service->ports[1], (ServicePort{"dns", "UDP", 53}));
  EXPECT_TRUE(service->ingress.empty());
}

TEST(ObjectCodec, DecodesRecordedNamespaceLabels) {
  auto json = parseJson(readTestData("k8s/namespace-labels.json"));
  ASSERT_TRUE(json);
  auto ns = decodeNamespace(json.value());
  ASSERT_TRUE(ns) << ns.error().message;
  EXPECT_EQ(ns->meta.key(), "ns-sample");
  EXPECT_EQ(ns->meta.labels,
            (Labels{{"kubernetes.io/metadata.name", "ns-sample"}, {"team", "lb"}}));
}

TEST(ObjectCodec, DecodesRecordedLease) {
  auto json = parseJson(readTestData("k8s/lease-takeover.json"));
  ASSERT_TRUE(json);
  auto lease = decodeLease(json.value());
  ASSERT_TRUE(lease) << lease.error().message;
  EXPECT_EQ(lease->meta.key(), "demo/lbd-pool-a");
  EXPECT_EQ(lease->holder_identity, "node-b");
  EXPECT_EQ(lease->lease_duration_seconds, 15);
  EXPECT_EQ(lease->renew_time, "2026-11-23T13:56:42.034090Z");
  EXPECT_EQ(lease->lease_transitions, 1);
}

TEST(ObjectCodec, StatusIngressAndDefaults) {
  auto json = parseJson(R"({"metadata":{"name":"s","namespace":"n","resourceVersion":"9"},
    "spec":{"ports":[{"port":80}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.1","ipMode":"VIP"},{"ip":"2001:db8::1"}]}}})");
  ASSERT_TRUE(json);
  auto service = decodeService(json.value());
  ASSERT_TRUE(service) << service.error().message;
  EXPECT_EQ(service->type, "ClusterIP");  // the API default when spec.type is absent
  EXPECT_FALSE(service->load_balancer_class.has_value());
  EXPECT_EQ(service->ports[0].protocol, "TCP");
  ASSERT_EQ(service->ingress.size(), 2u);
  EXPECT_EQ(service->ingress[0], (LoadBalancerIngress{"192.0.2.1", "", "VIP"}));
  EXPECT_EQ(service->ingress[1].ip, "2001:db8::1");
}

TEST(ObjectCodec, EndpointSliceConditionsDefaultAsTheApiSays) {
  auto json = parseJson(R"({"metadata":{"name":"web-abc","namespace":"n",
      "labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4",
    "endpoints":[{"addresses":["10.1.0.5"],"nodeName":"node-a"},
                 {"addresses":["10.1.0.6"],"conditions":{"ready":false,"serving":true,"terminating":true}}]})");
  ASSERT_TRUE(json);
  auto slice = decodeEndpointSlice(json.value());
  ASSERT_TRUE(slice) << slice.error().message;
  EXPECT_EQ(slice->service_name, "web");
  EXPECT_EQ(slice->address_type, "IPv4");
  ASSERT_EQ(slice->endpoints.size(), 2u);
  EXPECT_TRUE(slice->endpoints[0].ready);  // unset ready means ready
  EXPECT_EQ(slice->endpoints[0].node_name, "node-a");
  EXPECT_FALSE(slice->endpoints[1].ready);
  EXPECT_TRUE(slice->endpoints[1].serving);
  EXPECT_TRUE(slice->endpoints[1].terminating);
}

TEST(ObjectCodec, NodeReadyFromConditions) {
  auto json = parseJson(R"({"metadata":{"name":"node-a","labels":{"a":"b"}},
    "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
              "addresses":[{"type":"InternalIP","address":"192.0.2.11"}]}})");
  ASSERT_TRUE(json);
  auto node = decodeNode(json.value());
  ASSERT_TRUE(node) << node.error().message;
  EXPECT_EQ(node->meta.key(), "node-a");
  EXPECT_TRUE(node->ready);
  ASSERT_EQ(node->addresses.size(), 1u);
  EXPECT_EQ(node->addresses[0].address, "192.0.2.11");
}

TEST(ObjectCodec, MalformedObjectsAreErrorsNotExceptions) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"([1,2])", "object is not a JSON object"},
      {R"({"spec":{}})", "object has no metadata"},
      {R"({"metadata":{"namespace":"n"}})", "metadata.name is missing"},
      {R"({"metadata":{"name":5}})", "metadata.name is not a string"},
      {R"({"metadata":{"name":"s","labels":{"a":1}}})", "metadata.labels.a is not a string"},
      {R"({"metadata":{"name":"s"},"spec":{"ports":{"port":80}}})", "spec.ports is not an array"},
      {R"({"metadata":{"name":"s"},"spec":{"ports":[{"port":70000}]}})",
       "spec.ports[].port is out of range"},
      {R"({"metadata":{"name":"s"},"spec":{"ports":[{"port":"80"}]}})",
       "spec.ports[].port is not an integer"},
      {R"({"metadata":{"name":"s"},"status":{"loadBalancer":{"ingress":[{"ip":true}]}}})",
       "status.loadBalancer.ingress[].ip is not a string"},
  };
  for (const auto& c : cases) {
    auto json = parseJson(c.json);
    ASSERT_TRUE(json) << c.json;
    auto service = decodeService(json.value());
    ASSERT_FALSE(service) << c.json;
    EXPECT_EQ(service.error().message, c.message) << c.json;
  }
  EXPECT_FALSE(parseJson("{\"metadata\":"));
  EXPECT_FALSE(parseJson(""));
}

TEST(ObjectCodec, WatchEventsAndStatus) {
  auto event = decodeWatchEvent(readTestData("k8s/watch-410-expired.jsonl"));
  ASSERT_TRUE(event) << event.error().message;
  EXPECT_EQ(event->type, WatchEventType::Error);
  auto status = decodeStatus(event->object);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 410);
  EXPECT_EQ(status->reason, "Expired");
  EXPECT_EQ(status->message, "too old resource version: 2 (297)");

  EXPECT_EQ(decodeWatchEvent(R"({"type":"SURPRISE","object":{}})").error().message,
            "unknown watch event type \"SURPRISE\"");
  EXPECT_EQ(decodeWatchEvent(R"({"type":"ADDED"})").error().message, "watch event has no object");
  EXPECT_EQ(decodeStatus(nlohmann::json{{"kind", 3}}).error().message,
            "status.kind is not a string");
}

TEST(ObjectCodec, RecordedListPageWithContinue) {
  auto page = decodeListPage(readTestData("k8s/services-10-list-limit2-page1.json"));
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->resource_version, "250");
  EXPECT_EQ(page->continue_token,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MjUwLCJzdGFydCI6InN2Yy1iXHUwMDAwIn0");
  EXPECT_EQ(page->items.size(), 2u);
}

}  // namespace
}  // namespace lbd::k8s
