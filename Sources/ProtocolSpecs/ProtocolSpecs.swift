public enum ProtocolSpecsPlaceholder {}
