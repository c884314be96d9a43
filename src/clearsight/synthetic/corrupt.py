from dataclasses import dataclass
@dataclass
class CorruptionSummary: pass
def corrupt(): pass
