#include "core/k8s/informer_cache.h"

#include <gtest/gtest.h>

#include "core/k8s/objects.h"

namespace lbd::k8s {
namespace {

Lease lease(const std::string& name, const std::string& rv, const std::string& holder) {
  Lease l;
  l.meta.namespace_ = "lbd-system";
  l.meta.name = name;
  l.meta.resource_version = rv;
  l.holder_identity = holder;
  return l;
}

TEST(InformerCache, UpsertIgnoresRepeatsOfTheSameVersion) {
  InformerCache<Lease> cache;
  int added = 0, updated = 0;
  cache.addHandlers(
      {[&](const Lease&) { ++added; }, [&](const Lease&, const Lease&) { ++updated; }, {}, {}});
  cache.upsert(lease("x", "1", "a"));
  cache.upsert(lease("x", "1", "a"));  // ADDED repeated after a watch reconnect
  cache.upsert(lease("x", "2", "b"));
  EXPECT_EQ(added, 1);
  EXPECT_EQ(updated, 1);
  EXPECT_EQ(cache.find("lbd-system/x")->holder_identity, "b");
  EXPECT_FALSE(cache.synced()) << "only a complete list makes the cache synced";
}

TEST(InformerCache, UpdateHandlerSeesBeforeAndAfter) {
  InformerCache<Lease> cache;
  std::string seen;
  cache.addHandlers({{},
                     [&](const Lease& before, const Lease& after) {
                       seen = before.holder_identity + "->" + after.holder_identity;
                     },
                     {},
                     {}});
  cache.upsert(lease("x", "1", "a"));
  cache.upsert(lease("x", "2", "b"));
  EXPECT_EQ(seen, "a->b");
}

TEST(InformerCache, RemoveOfUnknownKeyIsSilent) {
  InformerCache<Lease> cache;
  int deleted = 0;
  cache.addHandlers({{}, {}, [&](const Lease&) { ++deleted; }, {}});
  cache.remove("lbd-system/none");
  cache.upsert(lease("x", "1", "a"));
  cache.remove("lbd-system/x");
  EXPECT_EQ(deleted, 1);
  EXPECT_TRUE(cache.objects().empty());
}

TEST(InformerCache, ReplaceTellsEveryConsumerOnceTheCacheHoldsTheList) {
  InformerCache<Lease> cache;
  std::vector<std::string> seen;
  std::size_t size_when_told = 0;
  cache.addHandlers({[&](const Lease& l) { seen.push_back("a+" + l.meta.name); },
                     {},
                     {},
                     [&] { size_when_told = cache.objects().size(); }});
  cache.addHandlers({[&](const Lease& l) { seen.push_back("b+" + l.meta.name); }, {}, {}, {}});
  cache.replace({lease("x", "1", "a"), lease("y", "1", "a")});
  EXPECT_EQ(seen, (std::vector<std::string>{"a+x", "b+x", "a+y", "b+y"}));
  EXPECT_EQ(size_when_told, 2u);
}

}  // namespace
}  // namespace lbd::k8s
