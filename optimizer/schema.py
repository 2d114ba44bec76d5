"""Print the scenario JSON Schema: ``python -m optimizer.schema > scenarios/scenario.schema.json``."""

import json

from .scenario import json_schema

if __name__ == "__main__":
    print(json.dumps(json_schema(), ensure_ascii=False, indent=2))
