#pragma once
// The local copy of one resource kind, as client-go's informer keeps it: objects by
// "namespace/name", fed by a full LIST (replace) and then by WATCH events (apply). Handlers see
// every change exactly once; a relist after 410 Gone turns into the adds, updates and deletes
// that the missed events would have been, so consumers never need to know a relist happened.
//
// An object is its uid, not its name: when the object under a name has another uid than the
// cached one (deleted and created again while the watch was down, or a cluster restored from
// a backup), handlers see it deleted and the new one added, never one "updated" - consumers
// that keep state per object (an allocation, an owner) must not carry it over. A relist also
// compares whole objects, not only resourceVersions: after a restore from a backup the same
// resourceVersion can stand for another state.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lbd::k8s {

template <class T>
class InformerCache {
 public:
  struct Handlers {
    std::function<void(const T&)> added;
    std::function<void(const T& before, const T& after)> updated;
    std::function<void(const T&)> deleted;
    // After a complete LIST was applied (the first sync, or a relist after 410): consumers
    // that decide on the whole collection start over from here.
    std::function<void()> replaced;

    /// The same `changed` for every kind of change: for consumers that recompute from the
    /// whole cache (throttled) rather than per object.
    static Handlers onAnyChange(std::function<void()> changed) {
      return {[changed](const T&) { changed(); }, [changed](const T&, const T&) { changed(); },
              [changed](const T&) { changed(); }, changed};
    }
  };

  using HandlerId = std::uint64_t;

  /// Several consumers (allocator, announcer) each add their own. A consumer that goes away
  /// before the cache (a role recreated on reload) must remove them: they capture it.
  HandlerId addHandlers(Handlers handlers) {
    handlers_.emplace(next_id_, std::move(handlers));
    return next_id_++;
  }
  void removeHandlers(HandlerId id) { handlers_.erase(id); }

  /// The result of a complete LIST: the cache becomes exactly `objects`.
  void replace(std::vector<T> objects) {
    std::map<std::string, T> next;
    for (auto& object : objects) {
      std::string key = object.meta.key();
      next.insert_or_assign(std::move(key), std::move(object));
    }
    // The moved-from list still holds its buffer (10,000 Services: 9 MB); free it before the
    // handlers run, or a consumer's resync adds its own peak on top of it.
    std::vector<T>().swap(objects);
    for (const auto& [key, old] : objects_) {
      if (!next.count(key)) notify(&Handlers::deleted, old);
    }
    for (const auto& [key, now] : next) {
      auto old = objects_.find(key);
      if (old == objects_.end()) {
        notify(&Handlers::added, now);
      } else if (otherObject(old->second, now)) {
        ++uid_changes_;
        notify(&Handlers::deleted, old->second);
        notify(&Handlers::added, now);
      } else if (!(old->second == now)) {
        notify(&Handlers::updated, old->second, now);
      }
    }
    objects_ = std::move(next);
    synced_ = true;
    notify(&Handlers::replaced);
  }

  /// ADDED or MODIFIED from a watch (both are upserts: after a reconnect an ADDED may repeat).
  void upsert(T object) {
    std::string key = object.meta.key();
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      auto inserted = objects_.emplace(std::move(key), std::move(object)).first;
      notify(&Handlers::added, inserted->second);
      return;
    }
    if (otherObject(it->second, object)) {
      ++uid_changes_;
      T gone = std::move(it->second);
      it->second = std::move(object);
      notify(&Handlers::deleted, gone);
      notify(&Handlers::added, it->second);
      return;
    }
    if (it->second.meta.resource_version == object.meta.resource_version) return;
    T before = std::move(it->second);
    it->second = std::move(object);
    notify(&Handlers::updated, before, it->second);
  }

  /// DELETED from a watch.
  void remove(const std::string& key) {
    auto it = objects_.find(key);
    if (it == objects_.end()) return;
    T gone = std::move(it->second);
    objects_.erase(it);
    notify(&Handlers::deleted, gone);
  }

  /// Objects replaced by another object (another uid) under the same name, so far.
  std::uint64_t uidChanges() const { return uid_changes_; }
  /// True once the first complete LIST has been applied.
  bool synced() const { return synced_; }
  const std::map<std::string, T>& objects() const { return objects_; }
  const T* find(const std::string& key) const {
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
  }

 private:
  static bool otherObject(const T& cached, const T& now) {
    return !cached.meta.uid.empty() && !now.meta.uid.empty() && cached.meta.uid != now.meta.uid;
  }

  template <class Member, class... Args>
  void notify(Member member, const Args&... args) {
    // A handler may add or remove handlers (a role created or destroyed from a callback):
    // walk a snapshot of the ids and skip those gone meanwhile.
    std::vector<HandlerId> ids;
    ids.reserve(handlers_.size());
    for (const auto& [id, handlers] : handlers_)
      ids.push_back(id);
    for (const HandlerId id : ids) {
      auto found = handlers_.find(id);
      if (found == handlers_.end()) continue;
      const auto callback = found->second.*member;  // the handler may remove itself
      if (callback) callback(args...);
    }
  }

  std::map<std::string, T> objects_;
  std::map<HandlerId, Handlers> handlers_;
  HandlerId next_id_ = 1;
  std::uint64_t uid_changes_ = 0;
  bool synced_ = false;
};

}  // namespace lbd::k8s
