print("cfn-exporter")
