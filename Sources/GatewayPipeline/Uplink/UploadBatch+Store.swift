import GatewayStore
import UploadFormat

extension UploadBatch {
    /// The upload batch of `range`: its samples, device events and metric records as the
    /// store holds them, under the range's batch id (``UplinkRange/batchID(gateway:)``), so
    /// that the same range read again (a retry, a restart) is the same batch to the collector.
    ///
    /// Samples go with their gateway time; the device's own clock, which the collector does
    /// not keep, stays in the store. Values that are not finite (which the store does not
    /// keep either) are left out rather than making the collector refuse the batch.
    public static func reading(_ range: UplinkRange, from store: GatewayStore, gateway: String) throws
        -> UploadBatch
    {
        var batch = try UploadBatch(id: range.batchID(gateway: gateway), gatewayID: gateway)
        try store.forEachUplinkRow(
            in: range,
            sample: { sample in
                batch.appendSample(address: sample.address, quantity: sample.quantity, unit: sample.unit,
                                   channel: Int32(clamping: sample.channel), timeMicros: sample.gatewayTimeMicros,
                                   value: sample.value)
            },
            event: { event in
                batch.appendEvent(address: event.address, kind: event.kind, detail: event.detail,
                                  timeMicros: event.gatewayTimeMicros)
            },
            metricRecord: { record in
                let (kind, subject): (SubjectKind, String) = switch record.subject {
                case .device(let address): (.device, address)
                case .wearer(let name): (.wearer, name)
                }
                batch.appendMetricRecord(subjectKind: kind, subject: subject, metric: record.metric, unit: record.unit,
                                         timeMicros: record.timeMicros, endMicros: record.endMicros,
                                         value: record.value, quality: record.quality)
            })
        return batch
    }
}
