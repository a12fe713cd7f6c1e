public enum WearMetrics {}
