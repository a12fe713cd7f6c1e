import ArgumentParser

/// `gaitway`: one command, many subcommands: `decode`, `sim`, `gateway`, `query`, `analyze`.
@main
struct Gaitway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gaitway",
        abstract: "A BLE toolkit for smart shoes and wearables: decode captures, simulate devices, run a gateway, analyze recordings.",
        discussion: """
            Payload formats come from the Protocols/ specs (YAML): the bundled ones, plus your \
            own with --protocols DIR or the GAITWAY_PROTOCOLS environment variable (a \
            colon-separated list of folders).
            """,
        version: "0.1.0",
        subcommands: [Decode.self, Sim.self, GatewayCommand.self, QueryCommand.self, Analyze.self, CollectorCommand.self]
    )
}
