/// How a Gaitway quantity (a sample's name, from the Protocols specs) or metric (a metric
/// record's name, from WearMetrics) becomes an `Observation.code`, and its unit a UCUM code.
///
/// LOINC codes, each checked against published uses (the FHIR vital-signs profiles, HL7's
/// oxygen-saturation profile, HealthKit-to-LOINC mappings):
///
/// | name | LOINC | display |
/// |---|---|---|
/// | `heart_rate`, `pulse_rate` | 8867-4 | Heart rate |
/// | `spo2` | 59408-5 | Oxygen saturation in Arterial blood by Pulse oximetry |
/// | `body_temperature` | 8310-5 | Body temperature |
/// | `skin_temperature` | 39106-0 | Temperature of Skin |
/// | `sdnn` | 80404-7 | R-R interval.standard deviation (Heart rate variability) |
/// | `step_count`, `steps` | 55423-8 | Number of steps in unspecified time Pedometer |
/// | `respiratory_rate` | 9279-1 | Respiratory rate |
/// | `resting_heart_rate` | 40443-4 | Heart rate --resting (FHIR's vital-signs heart-rate value set) |
/// | `energy_expenditure_day` | 41979-6 | Calories burned in 24 hour Calculated (the US Physical Activity IG's code) |
/// | `total_sleep_time` | 93832-4 | Sleep duration |
/// | `deep_sleep` | 93831-6 | Deep sleep duration |
/// | `light_sleep` | 93830-8 | Light sleep duration |
/// | `rem_sleep` | 93829-0 | REM sleep duration |
///
/// The four sleep codes are those of HL7's Personal Health Record IG value set "Patient
/// contributed data: sleep observation code" (pcd-sleep-observation-code).
///
/// Everything else (RR intervals, RMSSD, plantar force, IMU axes, stride and gait metrics)
/// has no LOINC code of its own and is coded in the local code system
/// ``localQuantitySystem`` or ``localMetricSystem``, whose codes are the Gaitway names
/// themselves (`rmssd`, `stride_time`, `plantar_force`), defined by the Protocols specs and
/// WearMetrics' `Metric` constants.
enum ObservationCodes {
    static let loinc = "http://loinc.org"
    static let ucum = "http://unitsofmeasure.org"
    /// Codes for sample quantities without a LOINC code: the quantity names of Protocols/*.yaml.
    static let localQuantitySystem = "urn:gaitway:fhir:quantity"
    /// Codes for metric records without a LOINC code: the metric names of WearMetrics.
    static let localMetricSystem = "urn:gaitway:fhir:metric"
    static let categorySystem = "http://terminology.hl7.org/CodeSystem/observation-category"

    struct Code: Equatable {
        var system: String
        var code: String
        var display: String
        /// `vital-signs` or `activity` (observation-category), nil for the rest.
        var category: String?
    }

    static let loincCodes: [String: Code] = [
        "heart_rate": Code(system: loinc, code: "8867-4", display: "Heart rate", category: "vital-signs"),
        "pulse_rate": Code(system: loinc, code: "8867-4", display: "Heart rate", category: "vital-signs"),
        "spo2": Code(system: loinc, code: "59408-5", display: "Oxygen saturation in Arterial blood by Pulse oximetry",
                     category: "vital-signs"),
        "body_temperature": Code(system: loinc, code: "8310-5", display: "Body temperature", category: "vital-signs"),
        "skin_temperature": Code(system: loinc, code: "39106-0", display: "Temperature of Skin", category: "vital-signs"),
        "sdnn": Code(system: loinc, code: "80404-7", display: "R-R interval.standard deviation (Heart rate variability)",
                     category: nil),
        "step_count": Code(system: loinc, code: "55423-8", display: "Number of steps in unspecified time Pedometer",
                           category: "activity"),
        "steps": Code(system: loinc, code: "55423-8", display: "Number of steps in unspecified time Pedometer",
                      category: "activity"),
        "respiratory_rate": Code(system: loinc, code: "9279-1", display: "Respiratory rate", category: "vital-signs"),
        "resting_heart_rate": Code(system: loinc, code: "40443-4", display: "Heart rate --resting", category: "vital-signs"),
        "energy_expenditure_day": Code(system: loinc, code: "41979-6", display: "Calories burned in 24 hour Calculated",
                                       category: "activity"),
        "total_sleep_time": Code(system: loinc, code: "93832-4", display: "Sleep duration", category: nil),
        "deep_sleep": Code(system: loinc, code: "93831-6", display: "Deep sleep duration", category: nil),
        "light_sleep": Code(system: loinc, code: "93830-8", display: "Light sleep duration", category: nil),
        "rem_sleep": Code(system: loinc, code: "93829-0", display: "REM sleep duration", category: nil),
    ]

    /// The code for a sample quantity or metric name.
    static func code(for name: String, isMetric: Bool) -> Code {
        loincCodes[name] ?? Code(system: isMetric ? localMetricSystem : localQuantitySystem, code: name,
                                 display: name.replacingOccurrences(of: "_", with: " "), category: nil)
    }

    /// The Gaitway names a search token (`code=SYSTEM|CODE`, `code=CODE`, `code=|CODE`) stands
    /// for: every quantity and metric name with that code (empty when none has it).
    static func names(matching token: String) -> Set<String> {
        let parts = token.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let system = parts.count == 2 ? parts[0] : nil
        let code = parts.count == 2 ? parts[1] : parts[0]
        var names = Set<String>()
        if system == nil || system == loinc {
            names.formUnion(loincCodes.filter { $0.value.code == code }.map(\.key))
        }
        if system == nil || system == "" || system == localQuantitySystem || system == localMetricSystem,
           !code.isEmpty, loincCodes[code] == nil {
            names.insert(code)
        }
        return names
    }

    /// The UCUM code of a unit as the Protocols specs and metrics write it, or nil when it has
    /// none we know (then the Quantity carries the unit as text only).
    static func ucum(_ unit: String) -> String? {
        switch unit {
        case "bpm", "1/min", "/min": "/min"
        case "/h": "/h"
        case "%": "%"
        case "°C", "celsius", "Cel", "C": "Cel"
        case "°F", "fahrenheit", "[degF]": "[degF]"
        case "s", "ms", "min", "h", "N", "m", "kg", "Hz", "kJ", "W", "V", "A", "L", "mL", "mm", "m/s", "1", "N.s", "ms2", "lx",
             "hPa", "rad/s":
            unit
        case "m/s²", "m/s2": "m/s2"
        case "deg/s", "°/s": "deg/s"
        case "°", "deg": "deg"
        case "counts", "count", "steps", "{steps}": "{count}"
        default: nil
        }
    }
}
