import GatewayStore
// TEMPORARY until the store branch lands GatewayStore.commit(_:) async.
extension GatewayStore {
    func commitAsync(_ batch: StoreBatch) async throws(GatewayStoreError) { try self.commit(batch) }
}
