import ProtocolSpecs

extension Simulation {
    /// The simulation of a scenario given by name (`Simulators/NAME.yaml`) or path, ready to run.
    ///
    /// - Throws: ``ScenarioNotFound`` when there is no such scenario, or the scenario's
    ///   own errors (file, line and column) when it does not load.
    public static func named(_ name: String, catalog: ProtocolCatalog, epoch: Double? = nil,
                             truth: GroundTruthSink? = nil) throws -> Simulation {
        guard let file = ScenarioLoader.locate(name) else { throw ScenarioNotFound(name: name) }
        let scenario = try Scenario.load(file: file, options: .init(catalog: catalog))
        return try Simulation(scenario: scenario, catalog: catalog, truth: truth, epoch: epoch)
    }

    /// The simulation's devices behind an in-process virtual controller, as an HCI transport.
    public func virtualControllerTransport(pace: VirtualControllerTransport.Pace) -> VirtualControllerTransport {
        let controller = VirtualController(configuration: .init(seed: scenario.seed), peripherals: devices)
        return VirtualControllerTransport(controller: controller, pace: pace)
    }
}

/// A scenario name that is neither in `Simulators/` nor a YAML file.
public struct ScenarioNotFound: Error, CustomStringConvertible {
    public var name: String
    public var description: String { "no scenario '\(name)': give a name from Simulators/ or a YAML file" }
}
